package dev.turnpike.runtime.reload.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;

/**
 * Like {@link VersionHeader}, but its start loads 20 more classes of its own (the nested
 * {@code H0..H19}), so each loaded version adds 21 classes to the JVM: a leaked class loader then
 * shows clearly in the loaded class count. Pack it with {@link #classes()}.
 */
public final class BulkyVersionHeader implements ProxyPlugin<Void> {

    public static final int EXTRA_CLASSES = 20;

    private volatile String version = "?";
    private int sum;

    /** Every class the jar must hold: this one first, then its helpers. */
    public static Class<?>[] classes() {
        return new Class<?>[] {BulkyVersionHeader.class, H0.class, H1.class, H2.class, H3.class, H4.class, H5.class, H6.class, H7.class, H8.class, H9.class, H10.class, H11.class, H12.class, H13.class, H14.class, H15.class, H16.class, H17.class, H18.class, H19.class};
    }

    @Override
    public void start(PluginContext context) {
        version = context.pluginVersion();
        sum = new H0().v() + new H1().v() + new H2().v() + new H3().v() + new H4().v() + new H5().v() + new H6().v() + new H7().v() + new H8().v() + new H9().v() + new H10().v() + new H11().v() + new H12().v() + new H13().v() + new H14().v() + new H15().v() + new H16().v() + new H17().v() + new H18().v() + new H19().v();
    }

    @Override
    public Outcome responseFilter(Session session, Void ctx) {
        session.response().headers().set("X-Plugin-Version", version);
        return Outcome.proceed();
    }

    public static final class H0 {
        int v() {
            return 0;
        }
    }

    public static final class H1 {
        int v() {
            return 1;
        }
    }

    public static final class H2 {
        int v() {
            return 2;
        }
    }

    public static final class H3 {
        int v() {
            return 3;
        }
    }

    public static final class H4 {
        int v() {
            return 4;
        }
    }

    public static final class H5 {
        int v() {
            return 5;
        }
    }

    public static final class H6 {
        int v() {
            return 6;
        }
    }

    public static final class H7 {
        int v() {
            return 7;
        }
    }

    public static final class H8 {
        int v() {
            return 8;
        }
    }

    public static final class H9 {
        int v() {
            return 9;
        }
    }

    public static final class H10 {
        int v() {
            return 10;
        }
    }

    public static final class H11 {
        int v() {
            return 11;
        }
    }

    public static final class H12 {
        int v() {
            return 12;
        }
    }

    public static final class H13 {
        int v() {
            return 13;
        }
    }

    public static final class H14 {
        int v() {
            return 14;
        }
    }

    public static final class H15 {
        int v() {
            return 15;
        }
    }

    public static final class H16 {
        int v() {
            return 16;
        }
    }

    public static final class H17 {
        int v() {
            return 17;
        }
    }

    public static final class H18 {
        int v() {
            return 18;
        }
    }

    public static final class H19 {
        int v() {
            return 19;
        }
    }
}
