package dev.turnpike.runtime.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Turns the text of a configuration file into plain maps, lists and scalars, or into a
 * {@link ConfigException} that says where the text is wrong.
 */
final class YamlFile {

    private YamlFile() {
    }

    /** The document's value ({@code null} for an empty file or one of comments only). */
    static Object parse(Path file, String text) throws ConfigException {
        try {
            return yaml().load(text);
        } catch (DuplicateKeyException e) {
            throw duplicateKey(file, text, e);
        } catch (MarkedYAMLException e) {
            throw new ConfigException(file, "", at(e.getProblemMark(), e.getContextMark()) + describe(e), e);
        } catch (YAMLException e) {
            throw new ConfigException(file, "", e.getMessage(), e);
        }
    }

    /**
     * Safe loading only: the SafeConstructor builds maps, lists, strings, numbers, booleans and
     * timestamps, never a type the file names, and snakeyaml 2 refuses global tags before that.
     * A duplicate key is an error rather than last-one-wins: of two values, the one the operator
     * was looking at is as likely to be the first.
     */
    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        return new Yaml(new SafeConstructor(options));
    }

    private static String at(Mark problem, Mark context) {
        Mark m = problem != null ? problem : context;
        return m == null ? "" : "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ": ";
    }

    /** The problem, with its context where that adds something ("while scanning a simple key ..."). */
    private static String describe(MarkedYAMLException e) {
        String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
        if (e.getContext() == null) {
            return problem;
        }
        Mark c = e.getContextMark();
        Mark p = e.getProblemMark();
        boolean elsewhere = c != null && (p == null || c.getLine() != p.getLine() || c.getColumn() != p.getColumn());
        String where = elsewhere ? " at line " + (c.getLine() + 1) + ", column " + (c.getColumn() + 1) : "";
        return problem + " (" + e.getContext() + where + ")";
    }

    /**
     * Names the repeated key by its path, as every other error does. snakeyaml reports only the
     * key's position, so the document is composed again (composing does not check keys) and the
     * key found by that position.
     */
    private static ConfigException duplicateKey(Path file, String text, DuplicateKeyException e) {
        Mark m = e.getProblemMark();
        String where = "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1);
        String path = null;
        try {
            Node root = yaml().compose(new java.io.StringReader(text));
            path = root == null ? null : find(root, "", m, Collections.newSetFromMap(new IdentityHashMap<>()));
        } catch (YAMLException ignored) {
            // The position alone still tells the operator where to look.
        }
        return path == null
                ? new ConfigException(file, "", where + ": " + e.getProblem(), e)
                : new ConfigException(file, path, "duplicate key (" + where + ")", e);
    }

    private static String find(Node node, String path, Mark key, Set<Node> seen) {
        if (!seen.add(node)) {
            return null;
        }
        if (node instanceof MappingNode mapping) {
            for (NodeTuple t : mapping.getValue()) {
                Node k = t.getKeyNode();
                String name = k instanceof ScalarNode s ? s.getValue() : "?";
                String p = path.isEmpty() ? name : path + "." + name;
                Mark start = k.getStartMark();
                if (start.getLine() == key.getLine() && start.getColumn() == key.getColumn()) {
                    return p;
                }
                String found = find(t.getValueNode(), p, key, seen);
                if (found != null) {
                    return found;
                }
            }
        } else if (node instanceof SequenceNode sequence) {
            List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++) {
                String found = find(items.get(i), path + "[" + i + "]", key, seen);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
