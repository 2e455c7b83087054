/**
 * Federated statistics: what a silo computes on its own prepared table ({@link
 * org.fedbeam.stats.StatsComputation}, the {@link org.fedbeam.model.SiloComputation} with id
 * {@code "stats"}), the aggregates it releases ({@link org.fedbeam.stats.SiloStats}) after the
 * disclosure rules ({@link org.fedbeam.stats.Disclosure}: k-anonymous cells, complementary
 * suppression, folded rare categories, winsorised sketches, optional noise from {@link
 * org.fedbeam.stats.DpNoise}), and their exact merge over the silos ({@link
 * org.fedbeam.stats.GlobalStats}). Each type has a strict, bounded JSON codec. Plain Java: no Beam.
 * See docs/statistics.md.
 */
package org.fedbeam.stats;
