/**
 * The Turnpike testkit: what a plugin project adds in test scope to test its plugin against a real
 * proxy in the test's JVM.
 *
 * <ul>
 *   <li>{@link dev.turnpike.testkit.TurnpikeExtension}: a JUnit 5 extension that starts the proxy
 *       from a YAML snippet, with plugins from the class path or from built jars;</li>
 *   <li>{@link dev.turnpike.testkit.TestBackend} and {@link dev.turnpike.testkit.Answer}: a scriptable
 *       HTTP backend that records what it receives;</li>
 *   <li>{@link dev.turnpike.testkit.ProxyClient} and {@link dev.turnpike.testkit.ResponseAssert}:
 *       requests with assertions on the response, the metrics and the access log;</li>
 *   <li>{@link dev.turnpike.testkit.HotSwap}, {@link dev.turnpike.testkit.LoadGenerator},
 *       {@link dev.turnpike.testkit.PluginJar} and {@link dev.turnpike.testkit.ClassLoaders}: a jar
 *       swap under load, with the failures counted and the old class loader's collection checked.</li>
 * </ul>
 *
 * <p>Everything runs on real sockets of 127.0.0.1, and every wait is a condition with a deadline
 * ({@link dev.turnpike.testkit.Await}), never a timing assertion.
 */
package dev.turnpike.testkit;
