package dev.turnpike.runtime.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.SimpleCollector;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Removing the children of a labelled collector by one label's value. */
final class Series {

    private Series() {
    }

    /**
     * Removes every child of {@code collector} whose label {@code labelName} is {@code value}.
     * simpleclient has no look-up by one label, so the children are found through a collect: a walk
     * over the series, fine off the request path (a reload's clean-up).
     */
    static void forget(SimpleCollector<?> collector, List<String> labelNames, String labelName, String value) {
        int at = labelNames.indexOf(labelName);
        if (at < 0) {
            return;
        }
        Set<List<String>> doomed = new HashSet<>();
        for (Collector.MetricFamilySamples family : collector.collect()) {
            for (Collector.MetricFamilySamples.Sample s : family.samples) {
                // A histogram's bucket samples carry le after the collector's own labels.
                if (s.labelValues.size() >= labelNames.size() && value.equals(s.labelValues.get(at))) {
                    doomed.add(new ArrayList<>(s.labelValues.subList(0, labelNames.size())));
                }
            }
        }
        for (List<String> values : doomed) {
            collector.remove(values.toArray(new String[0]));
        }
    }
}
