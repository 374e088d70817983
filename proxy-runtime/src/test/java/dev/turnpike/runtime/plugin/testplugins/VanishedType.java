package dev.turnpike.runtime.plugin.testplugins;

/**
 * A type that {@link UsesVanishedType} names in a method signature, and that the class loader of
 * ChainBuildLinkageTest hides: as a class of a plugin's dependency missing from its jar would be.
 */
public final class VanishedType {
}
