package dev.turnpike.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The runtime's series as a scrape shows them: group labels, lazy children, forgetting a backend. */
class ProxyMetricsTest {

    private static String scrape(ProxyMetrics m) throws Exception {
        StringWriter w = new StringWriter();
        TextFormat.write004(w, MetricsServer.withoutCreated(m.registry().metricFamilySamples()));
        return w.toString();
    }

    @Test
    void withGroupLabelsTheRequestSeriesCarryThePeersGroup() throws Exception {
        ProxyMetrics m = new ProxyMetrics(true, true);
        int get = ProxyMetrics.methodIndex("GET");
        m.requestFinished(get, 200, 1_000_000, "web");
        m.requestFinished(get, 200, 1_000_000, "web");
        m.requestFinished(get, 502, 1_000_000, null);
        String s = scrape(m);
        assertTrue(s.contains("turnpike_requests_total{method=\"GET\",status=\"200\",group=\"web\",} 2.0"), s);
        assertTrue(s.contains("turnpike_requests_total{method=\"GET\",status=\"502\",group=\"\",} 1.0"), s);
        assertTrue(s.contains("turnpike_request_duration_seconds_count{method=\"GET\",status_class=\"2xx\",group=\"web\",} 2.0"), s);
    }

    @Test
    void withoutThemTheSeriesHaveNoGroupAndOnlyUsedChildrenExist() throws Exception {
        ProxyMetrics m = new ProxyMetrics();
        assertFalse(scrape(m).contains("turnpike_request_duration_seconds_bucket"), "nothing before a request");
        m.requestFinished(ProxyMetrics.methodIndex("POST"), 201, 1_000_000, "web");
        String s = scrape(m);
        assertTrue(s.contains("turnpike_requests_total{method=\"POST\",status=\"201\",} 1.0"), s);
        assertFalse(s.contains("group="), s);
        assertFalse(s.contains("method=\"GET\""), "no GET child was made: " + s);
        assertFalse(s.contains("_created"), s);
    }

    @Test
    void forgettingABackendDropsEveryOneOfItsSeriesAndNoOther() throws Exception {
        ProxyMetrics m = new ProxyMetrics();
        for (String b : new String[] {"10.0.0.1:80", "10.0.0.2:80"}) {
            m.upstream().connected(b, 1_000_000);
            m.upstream().requestSent(b, false);
            m.upstream().responded(b, 503, 2_000_000);
            m.upstream().connectFailed(b, ErrorKind.CONNECT_TIMEOUT);
            m.upstream().timedOut(b);
            m.upstream().retried(b);
        }
        String before = scrape(m);
        assertTrue(before.contains("turnpike_upstream_responses_total{backend=\"10.0.0.1:80\",status_class=\"5xx\",} 1.0"), before);
        assertTrue(before.contains("turnpike_upstream_connect_errors_total{backend=\"10.0.0.2:80\",reason=\"timeout\",} 1.0"), before);
        m.pluginMetrics().forget("backend", "10.0.0.1:80");
        String after = scrape(m);
        assertFalse(after.contains("10.0.0.1:80"), after);
        for (String series : new String[] {"turnpike_upstream_connect_duration_seconds_count", "turnpike_upstream_requests_total",
                "turnpike_upstream_response_duration_seconds_count", "turnpike_upstream_responses_total",
                "turnpike_upstream_connect_errors_total", "turnpike_upstream_timeouts_total", "turnpike_upstream_retries_total"}) {
            assertTrue(after.contains(series + "{backend=\"10.0.0.2:80\""), series + " of the other backend stays: " + after);
        }
        m.upstream().requestSent("10.0.0.1:80", true);
        assertTrue(scrape(m).contains("turnpike_upstream_requests_total{backend=\"10.0.0.1:80\",connection=\"reused\",} 1.0"),
                "a forgotten backend used again starts from zero");
    }

    @Test
    void buildInfoAndTheGenerationAreExported() throws Exception {
        ProxyMetrics m = new ProxyMetrics();
        long[] generation = {3};
        m.configGeneration(() -> generation[0]);
        String s = scrape(m);
        assertTrue(s.contains("turnpike_build_info{version=\""), s);
        assertTrue(s.contains("turnpike_config_generation 3.0"), s);
        generation[0] = 4;
        assertTrue(scrape(m).contains("turnpike_config_generation 4.0"));
        m.accessLogDropped(() -> 17);
        assertTrue(scrape(m).contains("turnpike_access_log_dropped_total 17.0"), scrape(m));
    }
}
