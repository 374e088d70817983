package dev.turnpike.runtime.plugin;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The classes one class file can make the JVM load: the {@code CONSTANT_Class} entries of its
 * constant pool (its superclass and interfaces, and every class its code instantiates, casts to,
 * tests, catches, or whose members it calls or reads) and the types in its field and method
 * descriptors (what reflection on its members and the verifier load), including those of the
 * members it calls and of its lambdas ({@code CONSTANT_NameAndType}, {@code CONSTANT_MethodType}).
 *
 * <p>Left out on purpose: annotations (reflection skips an annotation whose type is missing) and
 * generic signatures (read only by generic reflection, which the host does not do). Counted
 * although the JVM never loads it: the class of a compile-time constant the code uses, whose value
 * javac inlines while keeping the class in the pool. The class was compiled against all the same,
 * and the value it copied would drift silently from the host's across releases. Stateless.
 *
 * @see <a href="https://docs.oracle.com/javase/specs/jvms/se17/html/jvms-4.html">JVMS 17, chapter 4</a>
 */
final class ClassFileReferences {

    private static final int MAGIC = 0xCAFEBABE;

    private ClassFileReferences() {
    }

    /**
     * @param classFile the bytes of one {@code .class} file
     * @return the binary names ({@code a.b.C$D}) of the classes it references, itself included;
     *         array types give their element class, primitive types nothing
     * @throws IOException when the bytes are not a class file this reader understands
     */
    static Set<String> of(byte[] classFile) throws IOException {
        try {
            return read(new DataInputStream(new ByteArrayInputStream(classFile)));
        } catch (IndexOutOfBoundsException | ClassCastException | NullPointerException e) {
            // An index pointing outside the pool or at the wrong kind of entry.
            throw new IOException("malformed class file: " + e, e);
        }
    }

    private static Set<String> read(DataInputStream in) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not a class file (bad magic number)");
        }
        in.readUnsignedShort(); // minor version
        in.readUnsignedShort(); // major version
        int count = in.readUnsignedShort();
        Object[] pool = new Object[count];
        List<Integer> classNames = new ArrayList<>();
        List<Integer> descriptors = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> pool[i] = in.readUTF(); // Utf8: the class file's modified UTF-8 is readUTF's
                case 3, 4 -> in.readInt(); // Integer, Float
                case 5, 6 -> { // Long, Double take two slots
                    in.readLong();
                    i++;
                }
                case 7 -> classNames.add(in.readUnsignedShort()); // Class
                case 8, 19, 20 -> in.readUnsignedShort(); // String, Module, Package
                case 16 -> descriptors.add(in.readUnsignedShort()); // MethodType
                case 9, 10, 11, 17, 18 -> in.readInt(); // member refs, (Invoke)Dynamic: via Class and NameAndType
                case 12 -> { // NameAndType
                    in.readUnsignedShort();
                    descriptors.add(in.readUnsignedShort());
                }
                case 15 -> { // MethodHandle: kind, then a member ref
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        in.readUnsignedShort(); // access flags
        in.readUnsignedShort(); // this class: a Class entry, already listed
        in.readUnsignedShort(); // super class: likewise
        skip(in, 2 * in.readUnsignedShort()); // interfaces: likewise
        memberDescriptors(in, descriptors); // fields
        memberDescriptors(in, descriptors); // methods

        Set<String> out = new HashSet<>();
        for (int index : classNames) {
            String name = (String) pool[index];
            if (name.startsWith("[")) {
                addDescriptorTypes(name, out);
            } else {
                out.add(name.replace('/', '.'));
            }
        }
        for (int index : descriptors) {
            addDescriptorTypes((String) pool[index], out);
        }
        return out;
    }

    /** Reads a fields or methods table, keeping each member's descriptor index. */
    private static void memberDescriptors(DataInputStream in, List<Integer> descriptors) throws IOException {
        int members = in.readUnsignedShort();
        for (int m = 0; m < members; m++) {
            in.readUnsignedShort(); // access flags
            in.readUnsignedShort(); // name
            descriptors.add(in.readUnsignedShort());
            int attributes = in.readUnsignedShort();
            for (int a = 0; a < attributes; a++) {
                in.readUnsignedShort(); // attribute name
                skip(in, in.readInt() & 0xFFFFFFFFL);
            }
        }
    }

    /**
     * The classes of a field or method descriptor ({@code (I[Ljava/lang/String;)V}): every
     * {@code L...;}. A class name cannot contain {@code ;}, and no other descriptor character is
     * an {@code L}, so reading from each {@code L} to the next {@code ;} is exact.
     */
    private static void addDescriptorTypes(String descriptor, Set<String> out) {
        int i = 0;
        while (i < descriptor.length()) {
            if (descriptor.charAt(i) == 'L') {
                int end = descriptor.indexOf(';', i);
                if (end < 0) {
                    return; // malformed; the JVM refuses the class when it meets it
                }
                out.add(descriptor.substring(i + 1, end).replace('/', '.'));
                i = end + 1;
            } else {
                i++;
            }
        }
    }

    private static void skip(DataInputStream in, long n) throws IOException {
        long left = n;
        while (left > 0) {
            int step = (int) Math.min(left, Integer.MAX_VALUE);
            int skipped = in.skipBytes(step);
            if (skipped <= 0) {
                throw new IOException("truncated class file");
            }
            left -= skipped;
        }
    }
}
