package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code access_log:}: one line per request, written after the logging phase through an
 * asynchronous appender, so no disk I/O ever runs on an event loop.
 *
 * @param enabled     {@code access_log.enabled} (default true)
 * @param format      {@code access_log.format}: {@code text} (key=value, the default), {@code json}
 *                    (one JSON object per line), {@code combined} (nginx's combined format) or
 *                    {@code template} (the {@code access_log.template} given)
 * @param template    the line of {@code combined} or {@code template}, parsed; null for text and json
 * @param file        {@code access_log.file}: a file to write, rotated daily and by size; {@code null}
 *                    (the default) writes to standard output
 * @param maxFileSize {@code access_log.max_file_size}: rotate when a file reaches this (default 100m)
 * @param maxHistory  {@code access_log.max_history}: rotated files kept, in days (default 7)
 */
public record AccessLogSettings(boolean enabled, String format, AccessLogTemplate template, Path file, long maxFileSize,
                                int maxHistory) {

    static final List<String> KEYS = List.of("enabled", "format", "template", "file", "max_file_size", "max_history");

    /** Text or JSON lines, no template. */
    public AccessLogSettings(boolean enabled, String format, Path file, long maxFileSize, int maxHistory) {
        this(enabled, format, null, file, maxFileSize, maxHistory);
    }

    public static AccessLogSettings defaults() {
        return read(ConfigSection.empty("access_log"));
    }

    public boolean json() {
        return format.equals("json");
    }

    public static AccessLogSettings read(ConfigSection s) {
        boolean enabled = s.bool("enabled", true);
        String format = s.oneOf("format", "text", "text", "json", "combined", "template");
        String templateText = s.string("template", null);
        if (templateText != null && !format.equals("template")) {
            throw s.invalid("template", "is read only with format: template (format is " + format + ")");
        }
        AccessLogTemplate template = null;
        if (format.equals("template")) {
            if (templateText == null || templateText.isBlank()) {
                throw s.invalid("template", "missing: format: template needs the line, e.g. '"
                        + AccessLogTemplate.COMBINED + "'");
            }
            try {
                template = AccessLogTemplate.parse(templateText);
            } catch (IllegalArgumentException e) {
                throw s.invalid("template", e.getMessage());
            }
        } else if (format.equals("combined")) {
            template = AccessLogTemplate.parse(AccessLogTemplate.COMBINED);
        }
        String file = s.string("file", null);
        if (file != null && file.isBlank()) {
            throw s.invalid("file", "empty; leave the key out to log to standard output");
        }
        long maxFileSize = s.size("max_file_size", 100L << 20);
        if (maxFileSize < (1 << 10)) {
            throw s.invalid("max_file_size", Limits.text(maxFileSize) + " is below 1k");
        }
        int maxHistory = s.integer("max_history", 7, 1, 3650);
        return new AccessLogSettings(enabled, format, template, file == null ? null : Path.of(file).toAbsolutePath().normalize(),
                maxFileSize, maxHistory);
    }
}
