package dev.turnpike.testkit.phases;

import java.util.function.Supplier;

/** Edits out of their phase, refused as the runtime refuses them. */
final class Editable {

    private Editable() {
    }

    /** Throws the reason {@code whyReadOnly} gives, when it gives one: an edit out of its phase. */
    static void check(Supplier<String> whyReadOnly) {
        String why = whyReadOnly.get();
        if (why != null) {
            throw new IllegalStateException(why);
        }
    }
}
