package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chain in force and the ones retiring. A swap makes the new chain current at once; the old one
 * keeps serving the requests that hold it, and only once it has drained are its plugin instances
 * stopped and the plugin versions nobody uses any more unloaded. Each unloaded version's class
 * loader is watched through a weak reference; one still reachable long after gets a few garbage
 * collections to go, and only one that survives them is reported, with the threads that hold it
 * when any can be found ({@link RetainedLoaders}): that is a leak (a thread the plugin left running,
 * a ThreadLocal on an event loop, a static cache).
 *
 * <p>Confined to the management thread, except {@link #current()} (any thread).
 */
final class Generations {

    private static final Logger log = LoggerFactory.getLogger(Generations.class);

    /** How long a retired class loader may stay reachable before it is reported. */
    static final long LEAK_REPORT_NANOS = 60_000_000_000L;
    /**
     * A loader that survived the collections at its due time is looked at again this much later,
     * collections first, and reported only if it survives those too: some holders end a few
     * seconds after the collection that frees what they wait on (the JDK 17 HttpClient's selector
     * thread, which a plugin's stopped client leaves behind for about 3 s, is one).
     */
    static final long LEAK_RECHECK_NANOS = 10_000_000_000L;
    /** How often a retiring chain that has not drained is reported. */
    private static final long SLOW_DRAIN_REPORT_NANOS = 30_000_000_000L;

    private final long leakReportNanos;
    private final long leakRecheckNanos;
    private final AtomicReference<Chain> current = new AtomicReference<>(Chain.empty());
    private final Map<Chain, Set<LoadedPlugin>> uses = new IdentityHashMap<>();
    private final List<Retiring> retiring = new ArrayList<>();
    private final List<RetiredLoader> retiredLoaders = new ArrayList<>();
    /** The instances of the chain in force whose {@code activated()} has been called (identity). */
    private final Set<Object> activated = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private long generation;

    Generations() {
        this(LEAK_REPORT_NANOS, LEAK_RECHECK_NANOS);
    }

    /** {@code leakReportNanos}: how long an unloaded version's class loader may stay reachable unreported. */
    Generations(long leakReportNanos) {
        this(leakReportNanos, Math.min(leakReportNanos, LEAK_RECHECK_NANOS));
    }

    Generations(long leakReportNanos, long leakRecheckNanos) {
        this.leakReportNanos = leakReportNanos;
        this.leakRecheckNanos = leakRecheckNanos;
    }

    /** The chain new requests take. Any thread. */
    Chain current() {
        return current.get();
    }

    AtomicReference<Chain> currentReference() {
        return current;
    }

    long generation() {
        return generation;
    }

    /** Makes {@code next} current; {@code plugins} are the loaded versions its instances come from. */
    void swap(Chain next, Set<LoadedPlugin> plugins) {
        uses.put(next, Set.copyOf(plugins));
        Chain old = current.getAndSet(next);
        generation++;
        old.retire();
        retiring.add(new Retiring(old, generation - 1, System.nanoTime()));
    }

    /** Whether any chain (current or retiring) still uses {@code plugin}. */
    boolean inUse(LoadedPlugin plugin) {
        for (Set<LoadedPlugin> s : uses.values()) {
            if (s.contains(plugin)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stops drained chains and unloads the plugin versions that neither a chain nor {@code keep}
     * (the versions the drop directory holds now) still uses. Returns how many chains retired.
     */
    int retireDrained(Collection<LoadedPlugin> keep) {
        int done = 0;
        for (Iterator<Retiring> it = retiring.iterator(); it.hasNext(); ) {
            Retiring r = it.next();
            if (!r.chain.drained()) {
                long now = System.nanoTime();
                if (now - r.lastReport > SLOW_DRAIN_REPORT_NANOS) {
                    r.lastReport = now;
                    log.warn("generation {} still has {} request(s) in flight after {} s; its plugins stay loaded until they end",
                            r.generation, r.chain.inFlight(), (now - r.since) / 1_000_000_000L);
                }
                continue;
            }
            it.remove();
            stopUnshared(r.chain);
            Set<LoadedPlugin> used = uses.remove(r.chain);
            log.debug("generation {} drained and stopped", r.generation);
            if (used != null) {
                unloadUnused(used, keep);
            }
            done++;
        }
        return done;
    }

    /**
     * Stops the instances of a drained chain that no other chain carries: a reload keeps the
     * instances of unchanged entries (and their state), so one instance may serve several
     * generations and is stopped only with the last of them.
     */
    private void stopUnshared(Chain drained) {
        Set<Object> live = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        current.get().links().forEach(l -> live.add(l.plugin()));
        for (Retiring other : retiring) {
            other.chain.links().forEach(l -> live.add(l.plugin()));
        }
        List<dev.turnpike.runtime.chain.ChainLink> unshared = new ArrayList<>();
        for (dev.turnpike.runtime.chain.ChainLink l : drained.links()) {
            if (!live.contains(l.plugin())) {
                unshared.add(l);
            }
        }
        new Chain(unshared).stop();
    }

    /**
     * Calls {@code activated()} on each instance of the chain in force that has not had it, once no
     * older chain is retiring: until then an older instance may still record what the new one would
     * clean up (the series of a backend it dropped). Returns the instances called, whose
     * {@code activated()} threw or not; {@code failed} hears of each throw.
     */
    int activateDue(java.util.function.BiConsumer<dev.turnpike.runtime.chain.ChainLink, Throwable> failed) {
        if (!retiring.isEmpty()) {
            return 0;
        }
        List<dev.turnpike.runtime.chain.ChainLink> links = current.get().links();
        Set<Object> live = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        links.forEach(l -> live.add(l.plugin()));
        activated.retainAll(live);
        int called = 0;
        for (dev.turnpike.runtime.chain.ChainLink l : links) {
            if (!activated.add(l.plugin())) {
                continue;
            }
            called++;
            try {
                l.plugin().activated();
            } catch (RuntimeException | LinkageError e) {
                failed.accept(l, e);
            }
        }
        return called;
    }

    /** Unloads every version in {@code candidates} that no chain and not {@code keep} uses. */
    void unloadUnused(Collection<LoadedPlugin> candidates, Collection<LoadedPlugin> keep) {
        Set<LoadedPlugin> keepSet = new HashSet<>(keep);
        for (LoadedPlugin p : candidates) {
            if (!p.isClosed() && !keepSet.contains(p) && !inUse(p)) {
                ClassLoader loader = p.classLoader();
                String label = p.toString();
                p.close();
                watchRetired(label, loader);
                // The label, not the plugin: a log event kept in memory must not keep the loader.
                log.info("unloaded plugin {}", label);
            }
        }
    }

    /** Watches (weakly) the class loader of a version just unloaded. */
    void watchRetired(String label, ClassLoader loader) {
        retiredLoaders.add(new RetiredLoader(label, new WeakReference<>(loader), System.nanoTime()));
    }

    /**
     * Reports retired class loaders still reachable after {@link #LEAK_REPORT_NANOS} and a few
     * garbage collections, and again after {@link #LEAK_RECHECK_NANOS} and a few more, once each;
     * forgets collected ones. Blocks for the collections (up to
     * {@link RetainedLoaders#GC_DEADLINE_MILLIS}, only when a loader is due): management thread.
     */
    void reportLeaks() {
        for (Iterator<RetiredLoader> it = retiredLoaders.iterator(); it.hasNext(); ) {
            RetiredLoader r = it.next();
            long now = System.nanoTime();
            if (r.loader.get() == null) {
                it.remove();
                continue;
            }
            if (r.reported || now - r.since < leakReportNanos) {
                continue;
            }
            if (r.suspectedAt == 0) {
                if (!survivesGc(r)) {
                    it.remove();
                    log.debug("plugin {}: its class loader was collected once a garbage collection ran", r.label);
                    continue;
                }
                r.suspectedAt = Math.max(1, System.nanoTime());
            }
            if (System.nanoTime() - r.suspectedAt >= leakRecheckNanos) {
                r.reported = true;
                if (survivesGc(r)) {
                    List<String> holders = holders(r.loader);
                    log.warn("plugin {} was unloaded {} s ago and its class loader is still reachable after a garbage "
                            + "collection: {}", r.label, (now - r.since) / 1_000_000_000L, holders.isEmpty()
                            ? "what holds it could not be determined (no live thread runs its code or has it as context "
                                    + "class loader: look for a ThreadLocal it set on a host thread, a static reference, "
                                    + "a JDK or library registry)"
                            : "held by " + String.join(", ", holders) + "; a plugin must stop the threads it starts in stop()");
                } else {
                    it.remove();
                    log.debug("plugin {}: its class loader was collected once a garbage collection ran", r.label);
                }
            }
        }
    }

    private static List<String> holders(WeakReference<ClassLoader> ref) {
        ClassLoader held = ref.get();
        return held == null ? List.of() : RetainedLoaders.holdingThreads(held);
    }

    private static boolean survivesGc(RetiredLoader r) {
        try {
            return !RetainedLoaders.collectedAfterGc(r.loader);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return r.loader.get() != null;
        }
    }

    /** Weak references to the class loaders of unloaded versions not yet collected (for tests and /plugins). */
    List<WeakReference<ClassLoader>> retiredLoaders() {
        List<WeakReference<ClassLoader>> out = new ArrayList<>();
        for (RetiredLoader r : retiredLoaders) {
            out.add(r.loader);
        }
        return out;
    }

    int retiringCount() {
        return retiring.size();
    }

    /** Shutdown: stops every chain, current and retiring, whatever is in flight. */
    void stopAll() {
        Chain c = current.getAndSet(Chain.empty());
        c.retire();
        retiring.add(new Retiring(c, generation, System.nanoTime()));
        for (Retiring r : retiring) {
            r.chain.retire();
        }
        while (!retiring.isEmpty()) {
            Retiring r = retiring.remove(retiring.size() - 1);
            stopUnshared(r.chain);
        }
        uses.clear();
    }

    private static final class Retiring {
        final Chain chain;
        final long generation;
        final long since;
        long lastReport;

        Retiring(Chain chain, long generation, long since) {
            this.chain = chain;
            this.generation = generation;
            this.since = since;
            this.lastReport = since;
        }
    }

    private static final class RetiredLoader {
        final String label;
        final WeakReference<ClassLoader> loader;
        final long since;
        /** When it first survived the collections at its due time (0: not yet). */
        long suspectedAt;
        boolean reported;

        RetiredLoader(String label, WeakReference<ClassLoader> loader, long since) {
            this.label = label;
            this.loader = loader;
            this.since = since;
        }
    }
}
