package dev.turnpike.runtime.plugin.testplugins;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where the test plugins write what happened to them. Deliberately left out of the test plugin
 * jars, so the plugin class loaders take it from the test class path and the tests see the same
 * static list the plugins write to. Plugins see no host class outside the plugin API, so the
 * tests that use it load their jars with {@code TestJars.hostSharingJournal}, which shares this
 * one class as well.
 */
public final class Journal {

    private static final List<String> EVENTS = new CopyOnWriteArrayList<>();

    private Journal() {
    }

    public static void add(String event) {
        EVENTS.add(event);
    }

    public static List<String> events() {
        return List.copyOf(EVENTS);
    }

    public static void clear() {
        EVENTS.clear();
    }
}
