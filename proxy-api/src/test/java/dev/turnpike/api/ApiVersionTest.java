package dev.turnpike.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ApiVersionTest {

    @Test
    void isTheFilteredApiVersionProperty() {
        assertTrue(ApiVersion.CURRENT.matches("\\d+\\.\\d+\\.\\d+"), ApiVersion.CURRENT);
        assertEquals(System.getProperty("expected.api.version"), ApiVersion.current(), "the api.version property the build passes");
        assertEquals(ApiVersion.CURRENT, ApiVersion.current());
    }
}
