/**
 * The guide that runs: {@code docs/guide-two-providers.md}'s shell blocks, extracted by
 * {@link org.fedbeam.pipelines.guide.GuideScript} and run in order, each in its party's own folder, by
 * {@link org.fedbeam.pipelines.guide.GuideRun}, so the guide cannot drift from the commands it shows.
 */
package org.fedbeam.pipelines.guide;
