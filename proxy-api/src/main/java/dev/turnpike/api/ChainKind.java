package dev.turnpike.api;

/** Which kind of chain a plugin instance serves: {@link PluginContext#chainKind()}. */
public enum ChainKind {
    /** {@code plugins.chain}: the HTTP request path and {@link ProxyPlugin}'s phases. */
    HTTP,
    /** A {@code tcp[i].chain}: connections of an L4 listener and {@link ConnectionPlugin}'s phases. */
    TCP
}
