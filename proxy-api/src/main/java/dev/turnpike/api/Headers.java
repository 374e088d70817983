package dev.turnpike.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A message's header fields, as a live view: edits go straight to the message the runtime sends.
 * Names compare case-insensitively. Valid only during the request and on its event loop.
 *
 * <p>Setting a name that is not an HTTP token, or a value with CR, LF or NUL, throws
 * {@link IllegalArgumentException} (and so fails the request with a 500 naming the plugin): the
 * runtime never lets a plugin split a header.
 */
public interface Headers extends Iterable<Map.Entry<String, String>> {

    /** The first value of {@code name}, or {@code null}. */
    String get(String name);

    /** Every value of {@code name} in order (empty when absent). */
    List<String> getAll(String name);

    boolean contains(String name);

    /** Replaces every value of {@code name} with this one. */
    Headers set(String name, String value);

    /** Adds a value, keeping the ones already there. */
    Headers add(String name, String value);

    /** Removes every value of {@code name}. */
    Headers remove(String name);

    /** The distinct names present. */
    Set<String> names();

    /** The number of header fields (a repeated name counts each time). */
    int size();
}
