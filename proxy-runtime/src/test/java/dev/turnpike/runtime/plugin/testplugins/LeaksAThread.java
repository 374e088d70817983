package dev.turnpike.runtime.plugin.testplugins;

import dev.turnpike.api.ProxyPlugin;

/**
 * A plugin that leaks: its constructor starts a thread, {@link #THREAD}, that nothing ever stops,
 * so its class loader stays reachable after it is unloaded. The test interrupts the thread when done.
 */
public final class LeaksAThread implements ProxyPlugin<Void> {

    public static final String THREAD = "leaks-a-thread-worker";

    public LeaksAThread() {
        Thread t = new Thread(LeaksAThread::idle, THREAD);
        t.setDaemon(true);
        t.start();
    }

    private static void idle() {
        try {
            while (true) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            // The test is done with it.
        }
    }
}
