package dev.turnpike.runtime.log;

import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log's one writer thread: every event loop hands its finished entries to one bounded
 * queue, and this thread formats them and passes them to the logger in batches, in the order the
 * exchanges ended.
 *
 * <p>Why one thread and a hold-back: with a batch per event loop, lines of different loops
 * interleaved by batch, out of time order. A shared queue alone is not enough either, since an
 * entry's end is taken a moment before it is queued, and another loop may queue in between. So
 * entries wait here {@value #HOLD_MILLIS} ms, are sorted by their end, and only those older than that
 * go out: a line can only come out of order if its loop stalled for longer between ending the
 * request and queueing it.
 *
 * <p>A full queue (the logger far behind) drops the entry and counts it ({@link #dropped}), as the
 * asynchronous appender behind it does: an event loop never waits for the log.
 */
final class AccessWriter implements AutoCloseable {

    static final long HOLD_MILLIS = 20;
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final int QUEUE_CAPACITY = 1 << 16;
    private static final int BATCH_CHARS = 32 * 1024;

    private final Queue<AccessEntry> queue = PlatformDependent.newFixedMpscQueue(QUEUE_CAPACITY);
    /** Where batches of lines go: the {@code turnpike.access} logger, or a test's. */
    interface Sink {
        void info(String lines);

        void warn(String line);
    }

    private final AccessLogFormat format;
    private final Sink log;
    private final LongAdder dropped = new LongAdder();
    private final List<AccessEntry> pending = new ArrayList<>();
    private final StringBuilder batch = new StringBuilder(BATCH_CHARS + 1024);
    private final Thread thread;
    private volatile boolean closing;

    AccessWriter(AccessLogFormat format, Sink log) {
        this.format = format;
        this.log = log;
        this.thread = new Thread(this::run, "turnpike-access-log");
        thread.setDaemon(true);
        thread.start();
    }

    /** Any thread; never blocks. */
    void offer(AccessEntry e) {
        if (!queue.offer(e)) {
            dropped.increment();
        }
    }

    long dropped() {
        return dropped.sum();
    }

    private void run() {
        while (true) {
            boolean last = closing;
            for (AccessEntry e; (e = queue.poll()) != null; ) {
                pending.add(e);
            }
            if (!pending.isEmpty()) {
                try {
                    emit(last);
                } catch (RuntimeException ex) {
                    pending.clear(); // a logger that throws must not stop the log for good
                    batch.setLength(0);
                }
            }
            if (last) {
                return;
            }
            LockSupport.parkNanos(this, POLL_NANOS);
        }
    }

    /** Writes the pending entries that are old enough (all of them when closing), in end order. */
    private void emit(boolean all) {
        pending.sort(Comparator.comparingLong(e -> e.endNanos));
        long nowNanos = System.nanoTime();
        long nowMillis = System.currentTimeMillis();
        long cutoff = all ? Long.MAX_VALUE : nowNanos - TimeUnit.MILLISECONDS.toNanos(HOLD_MILLIS);
        int n = 0;
        int lines = 0;
        for (; n < pending.size(); n++) {
            AccessEntry e = pending.get(n);
            if (e.endNanos - cutoff > 0) {
                break;
            }
            long wall = nowMillis - (nowNanos - e.endNanos) / 1_000_000;
            if (e.warn()) {
                lines = flush(lines);
                format.write(e, wall, batch);
                log.warn(batch.toString());
                batch.setLength(0);
                continue;
            }
            if (lines > 0) {
                batch.append('\n');
            }
            format.write(e, wall, batch);
            lines++;
            if (batch.length() >= BATCH_CHARS) {
                lines = flush(lines);
            }
        }
        flush(lines);
        pending.subList(0, n).clear();
    }

    /** One logger call for the lines batched so far: one hand-off per batch, not per line. */
    private int flush(int lines) {
        if (lines > 0) {
            log.info(batch.toString());
            batch.setLength(0);
        }
        return 0;
    }

    /** Writes what is queued and ends the thread (shutdown). */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
