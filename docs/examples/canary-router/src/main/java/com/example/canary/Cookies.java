package com.example.canary;

import java.util.List;

/** Reads one cookie out of a request's Cookie headers ({@code a=1; b=2}, maybe several headers). */
final class Cookies {

    private Cookies() {
    }

    /** The value of the first cookie called {@code name} (without surrounding quotes), or {@code null}. */
    static String value(List<String> cookieHeaders, String name) {
        for (String header : cookieHeaders) {
            int i = 0;
            while (i < header.length()) {
                int end = header.indexOf(';', i);
                if (end < 0) {
                    end = header.length();
                }
                int eq = header.indexOf('=', i);
                if (eq > 0 && eq < end && header.substring(i, eq).trim().equals(name)) {
                    String v = header.substring(eq + 1, end).trim();
                    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                        v = v.substring(1, v.length() - 1);
                    }
                    return v;
                }
                i = end + 1;
            }
        }
        return null;
    }
}
