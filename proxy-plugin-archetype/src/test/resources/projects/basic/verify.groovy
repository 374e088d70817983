// Runs after the generated project's `mvn verify` succeeded (archetype:integration-test fails the
// build otherwise). Checks what a plugin author relies on: that the tests really ran, and that the
// jar is one the proxy loads. The expected Plugin-Requires is filled in at the archetype's build
// from the parent pom's api.requires, as the template's own is.
import java.util.jar.JarFile

// Where archetype:integration-test generated the project (its own projectDir variable does not
// reach the script in this plugin version, so the path is filled in at build time).
File projectDir = new File("@project.build.testOutputDirectory@/projects/basic/project/tag-plugin")
def fail = { String why -> throw new AssertionError("generated project " + projectDir + ": " + why) }

def pom = new File(projectDir, "pom.xml").text
if (pom.contains("<parent>")) fail("the pom has a parent; it must stand alone")

def reports = new File(projectDir, "target/surefire-reports")
def ran = [:]
reports.eachFileMatch(~/TEST-.*\.xml/) { f ->
    def suite = new groovy.xml.XmlSlurper().parse(f)
    int failed = (suite.'@failures'.text() as int) + (suite.'@errors'.text() as int)
    if (failed > 0) fail(f.name + ": " + failed + " failed")
    ran[suite.'@name'.text()] = (suite.'@tests'.text() as int) - (suite.'@skipped'.text() as int)
}
["com.example.it.tag.TagPluginTest", "com.example.it.tag.TagPluginProxyTest"].each { name ->
    if (!(ran[name] > 0)) fail("no test of " + name + " ran (reports: " + ran + ")")
}

def jarFile = new File(projectDir, "target/tag-plugin-1.0.0-SNAPSHOT.jar")
if (!jarFile.isFile()) fail("no " + jarFile.name)
new JarFile(jarFile).withCloseable { jar ->
    def main = jar.manifest.mainAttributes
    def expected = ["Plugin-Id": "it-tag", "Plugin-Version": "1.0.0-SNAPSHOT", "Plugin-Requires": "@api.requires@"]
    if (!expected["Plugin-Requires"].startsWith(">=@api.version@ ")) fail("api.requires does not start at api.version @api.version@")
    expected.each { key, value ->
        if (main.getValue(key) != value) fail("manifest " + key + " is '" + main.getValue(key) + "', expected '" + value + "'")
    }
    def idx = jar.getEntry("META-INF/extensions.idx")
    if (idx == null) fail("no META-INF/extensions.idx (PF4J's annotation processor did not run)")
    def listed = jar.getInputStream(idx).text.readLines().findAll { !it.startsWith("#") && !it.trim().isEmpty() }
    if (listed != ["com.example.it.tag.TagPlugin"]) fail("extensions.idx lists " + listed)
    def bundled = jar.entries().toList()*.name.findAll { it.startsWith("dev/turnpike/") || it.startsWith("org/pf4j/") }
    if (!bundled.isEmpty()) fail("the jar bundles provided classes: " + bundled.take(3))
}
println("generated project: tests " + ran + ", jar " + jarFile.name + " with the PF4J manifest")
return true
