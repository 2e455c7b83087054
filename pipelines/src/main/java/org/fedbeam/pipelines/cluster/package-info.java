/**
 * Standalone Flink 1.16 session clusters on this machine, one per trust boundary, without Docker:
 * {@link org.fedbeam.pipelines.cluster.StandaloneCluster} starts, stops and lists them
 * ({@code fedbeam cluster up|down|status}); the configuration comes from {@code flink-conf/} and
 * the class path from {@code flink-conf/cluster/pom.xml}.
 */
package org.fedbeam.pipelines.cluster;
