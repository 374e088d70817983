package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin directory as users leave it: the good load-balancer jar among junk. The proxy skips the
 * junk with a warning naming each file, ignores directories (the bundled plugins' Maven modules
 * live beside their jars), and serves with load-balancer.
 */
class PluginDirIT {

    /** The files {@link #addJunk} drops that look like jars and are not plugins. */
    private static final List<String> JUNK_JARS = List.of("broken.jar", "nomanifest.jar", "noid.jar");

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void startsDespiteJunkAndBalancesOverTwoBackends() throws Exception {
        try (TestBackend a = new TestBackend("alpha"); TestBackend b = new TestBackend("beta")) {
            a.start();
            b.start();
            ProxyProcess proxy = ProxyProcess.builder(dir)
                    .workers(2)
                    .backends(a, b)
                    .pluginsDir(PluginDirIT::addJunk)
                    .start();
            try (proxy) {
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
                List<String> seen = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(proxy.uri("/name")).timeout(Duration.ofSeconds(10)).build(),
                            BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), () -> "status; log:\n" + proxy.log());
                    String header = r.headers().firstValue("X-Backend-Name").orElse(null);
                    assertEquals(r.body(), header, "X-Backend-Name agrees with the body");
                    seen.add(r.body());
                }
                for (int i = 1; i < seen.size(); i++) {
                    assertNotEquals(seen.get(i - 1), seen.get(i), "consecutive requests alternate: " + seen);
                }
                assertEquals(3, seen.stream().filter("alpha"::equals).count(), "alpha's share: " + seen);
                assertEquals(3, seen.stream().filter("beta"::equals).count(), "beta's share: " + seen);
                assertEquals(3, a.requestsServed(), "requests alpha received");
                assertEquals(3, b.requestsServed(), "requests beta received");

                // The wording of the refusal is the runtime's; a WARN or ERROR line naming the file is the contract.
                String log = proxy.log();
                List<String> problems = log.lines()
                        .filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                        .collect(Collectors.toList());
                for (String junk : JUNK_JARS) {
                    assertTrue(problems.stream().anyMatch(l -> l.contains(junk)),
                            () -> junk + " is reported as skipped (a WARN or ERROR line naming it); log:\n" + log);
                }
                assertTrue(problems.stream().noneMatch(l -> l.contains("load-balancer")),
                        () -> "neither the load-balancer jar nor its module directory is refused; log:\n" + log);
                assertTrue(log.lines().noneMatch(l -> l.contains("notes.txt")), () -> "notes.txt is no candidate; log:\n" + log);
                assertTrue(problems.stream().allMatch(l -> JUNK_JARS.stream().anyMatch(l::contains)),
                        () -> "no WARN or ERROR besides the junk jars'; log:\n" + log);
            }
        }
    }

    /** broken.jar (random bytes), nomanifest.jar (a zip, no manifest), noid.jar (a manifest without Plugin-Id), load-balancer/pom.xml, notes.txt. */
    private static void addJunk(Path plugins) throws IOException {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);
        Files.write(plugins.resolve("broken.jar"), random);

        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(plugins.resolve("nomanifest.jar")))) {
            zip.putNextEntry(new ZipEntry("hello.txt"));
            zip.write("not a plugin".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }

        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Plugin-Version", "1.0.0");
        try (OutputStream out = Files.newOutputStream(plugins.resolve("noid.jar"));
             JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.putNextEntry(new ZipEntry("hello.txt"));
            jar.write("no Plugin-Id".getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }

        Path module = Files.createDirectories(plugins.resolve("load-balancer"));
        Files.writeString(module.resolve("pom.xml"), "<project><artifactId>load-balancer</artifactId></project>\n");
        Files.writeString(plugins.resolve("notes.txt"), "not a jar\n");
    }
}
