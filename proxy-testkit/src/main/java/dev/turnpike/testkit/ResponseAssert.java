package dev.turnpike.testkit;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.function.Predicate;

/**
 * Fluent assertions on one response the {@link ProxyClient} received, body read whole as UTF-8.
 * Each method throws an {@link AssertionError} naming what was expected, what came, and the request,
 * or returns {@code this} to chain on. Immutable; any thread.
 *
 * <pre>{@code
 * client.get("/hello").assertStatus(200).assertHeader("X-Hello", "world").assertBody("hi");
 * }</pre>
 */
public final class ResponseAssert {

    private final HttpResponse<String> response;

    ResponseAssert(HttpResponse<String> response) {
        this.response = response;
    }

    /** The response as the JDK client gave it. */
    public HttpResponse<String> response() {
        return response;
    }

    public int status() {
        return response.statusCode();
    }

    public String body() {
        return response.body();
    }

    /** The first value of {@code name} (any case), or {@code null}. */
    public String header(String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    public ResponseAssert assertStatus(int expected) {
        if (response.statusCode() != expected) {
            throw fail("status " + expected, String.valueOf(response.statusCode()));
        }
        return this;
    }

    /** The header has exactly one value, {@code expected}. */
    public ResponseAssert assertHeader(String name, String expected) {
        List<String> values = response.headers().allValues(name);
        if (!values.equals(List.of(expected))) {
            throw fail("header " + name + ": " + expected, values.isEmpty() ? "no " + name + " header" : name + ": " + values);
        }
        return this;
    }

    /** The header is not there at all. */
    public ResponseAssert assertNoHeader(String name) {
        List<String> values = response.headers().allValues(name);
        if (!values.isEmpty()) {
            throw fail("no header " + name, name + ": " + values);
        }
        return this;
    }

    public ResponseAssert assertBody(String expected) {
        if (!response.body().equals(expected)) {
            throw fail("body \"" + expected + "\"", "body \"" + response.body() + "\"");
        }
        return this;
    }

    public ResponseAssert assertBodyContains(String part) {
        if (!response.body().contains(part)) {
            throw fail("a body containing \"" + part + "\"", "body \"" + response.body() + "\"");
        }
        return this;
    }

    /** Any check of the body; {@code what} names it in the failure. */
    public ResponseAssert assertBody(String what, Predicate<String> check) {
        if (!check.test(response.body())) {
            throw fail(what, "body \"" + response.body() + "\"");
        }
        return this;
    }

    private AssertionError fail(String expected, String actual) {
        return new AssertionError(response.request().method() + " " + response.uri() + ": expected " + expected
                + ", got " + actual + " (status " + response.statusCode() + ", headers " + response.headers().map() + ")");
    }

    @Override
    public String toString() {
        return response.statusCode() + " " + response.headers().map() + " " + response.body();
    }
}
