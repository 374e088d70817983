package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ClassFileReferences} on a class that names classes in every way the JVM can come to load them. */
class ClassFileReferencesTest {

    /** Each JDK class here appears in exactly one way, named in the comment. */
    @SuppressWarnings({"unused", "serial"})
    static final class Sample extends java.util.AbstractList<String> implements java.io.Serializable {
        private java.util.concurrent.atomic.AtomicLong counter; // field descriptor
        private java.time.Duration[][] grid; // array field descriptor

        public java.net.URI parse(java.nio.file.Path path) { // method descriptor only
            return null;
        }

        Object body(Object o) {
            Object crc = new java.util.zip.CRC32(); // new
            boolean adler = o instanceof java.util.zip.Adler32; // instanceof
            java.util.BitSet[] sets = new java.util.BitSet[2]; // anewarray
            int[][] ints = new int[2][2]; // primitives: nothing
            java.util.function.Supplier<Object> make = java.util.StringJoiner.class::getName; // ldc of a class
            try {
                o.wait(1);
            } catch (InterruptedException | IllegalMonitorStateException e) { // catch
                return java.util.Locale.ROOT; // getstatic: the owner, and the field's type
            }
            return java.util.Objects.requireNonNullElse(o, crc); // a static call
        }

        @Override
        public String get(int index) {
            return null;
        }

        @Override
        public int size() {
            return 0;
        }
    }

    @Test
    void findsEveryWayAClassIsNamed() throws Exception {
        Set<String> found = ClassFileReferences.of(bytes(Sample.class));
        for (String name : List.of(Sample.class.getName(), "java.util.AbstractList", "java.io.Serializable",
                "java.util.concurrent.atomic.AtomicLong", "java.time.Duration", "java.net.URI", "java.nio.file.Path",
                "java.util.zip.CRC32", "java.util.zip.Adler32", "java.util.BitSet", "java.util.StringJoiner",
                "java.lang.InterruptedException", "java.lang.IllegalMonitorStateException", "java.util.Locale",
                "java.util.Objects", "java.util.function.Supplier", "java.lang.String")) {
            assertTrue(found.contains(name), name + " in " + found);
        }
        assertFalse(found.stream().anyMatch(n -> n.startsWith("[") || n.contains("/") || n.endsWith(";")), found.toString());
    }

    static final class Constants {
        static final String NAME = "inlined";
    }

    static final class UsesAConstant {
        String name() {
            return Constants.NAME;
        }
    }

    /** javac inlines the value yet keeps the class in the pool: it still counts as used (see the class doc). */
    @Test
    void theClassOfAnInlinedConstantCounts() throws Exception {
        assertTrue(ClassFileReferences.of(bytes(UsesAConstant.class)).contains(Constants.class.getName()));
    }

    @Test
    void refusesWhatIsNotAClassFile() throws Exception {
        byte[] good = bytes(Sample.class);
        byte[] badMagic = good.clone();
        badMagic[0] = 0;
        assertThrows(IOException.class, () -> ClassFileReferences.of(badMagic));
        assertThrows(IOException.class, () -> ClassFileReferences.of(Arrays.copyOf(good, good.length / 2)));
        assertThrows(IOException.class, () -> ClassFileReferences.of(new byte[0]));
    }

    private static byte[] bytes(Class<?> c) throws IOException {
        try (InputStream in = c.getClassLoader().getResourceAsStream(c.getName().replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }
}
