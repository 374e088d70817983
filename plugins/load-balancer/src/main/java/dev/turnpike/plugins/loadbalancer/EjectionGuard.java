package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.plugins.loadbalancer.health.BackendHealth;

/**
 * Keeps passive health from ejecting a group's last healthy backend. Taking it out could not send
 * its traffic anywhere better: it would only turn the backend's trouble (a few failed requests)
 * into an outage of the group (every request a 503) for the whole cool-down. nginx never marks
 * the only server of an upstream unavailable for the same reason.
 *
 * <p>Only passive ejections ask: an active check that finds every backend down is believed, and
 * the group's panic or {@code when_all_down} decides what happens next.
 */
final class EjectionGuard implements BackendHealth.Ejections {

    private final BackendHealth[] health;
    private final Object lock;

    EjectionGuard(BackendHealth[] health, GroupState shared) {
        this.health = health;
        this.lock = shared.ejections;
    }

    @Override
    public boolean ejectUnlessLast(BackendHealth backend, Runnable eject) {
        synchronized (lock) {
            if (backend.up() && !anotherUp(backend)) {
                return false;
            }
            eject.run(); // a backend already down changes no count: its cool-down starts again
            return true;
        }
    }

    private boolean anotherUp(BackendHealth backend) {
        for (BackendHealth h : health) {
            if (h != backend && h.up()) {
                return true;
            }
        }
        return false;
    }
}
