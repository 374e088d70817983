package dev.turnpike.runtime.chain;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.function.Predicate;

/**
 * Whether a plugin's class overrides a phase of an API interface: a concrete method the test
 * accepts, in the class, a superclass, or an interface of its own (a mixin), but not the API
 * interface's own no-op default. Read once per chain build, never per request.
 */
final class Overrides {

    private Overrides() {
    }

    /**
     * @param api     the interface whose defaults do not count ({@code ProxyPlugin}, {@code ConnectionPlugin})
     * @param isPhase whether a declared method is the phase (name, parameters)
     */
    static boolean phase(Object plugin, Class<?> api, Predicate<Method> isPhase) {
        for (Class<?> c = plugin.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            if (declares(c, isPhase) || byInterfaces(c.getInterfaces(), api, isPhase)) {
                return true;
            }
        }
        return false;
    }

    private static boolean byInterfaces(Class<?>[] interfaces, Class<?> api, Predicate<Method> isPhase) {
        for (Class<?> i : interfaces) {
            if (i != api && (declares(i, isPhase) || byInterfaces(i.getInterfaces(), api, isPhase))) {
                return true;
            }
        }
        return false;
    }

    private static boolean declares(Class<?> c, Predicate<Method> isPhase) {
        for (Method m : c.getDeclaredMethods()) {
            if (!m.isSynthetic() && !Modifier.isAbstract(m.getModifiers()) && isPhase.test(m)) {
                return true;
            }
        }
        return false;
    }
}
