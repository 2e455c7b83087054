/**
 * The {@code fedbeam} command line: {@link org.fedbeam.pipelines.cli.FedBeam} dispatches the
 * commands ({@code train}, {@code keys}, {@code audit}, {@code pipeline}, {@code agent},
 * {@code orchestrate}, {@code cluster}); {@link org.fedbeam.pipelines.cli.TrainJob} is the {@code train}
 * command, {@link org.fedbeam.pipelines.cli.ClusterCommand} the {@code cluster} command. How flags are
 * read and shown: {@link org.fedbeam.pipelines.cli.Flags} (parsing, checks, "did you mean", Beam's
 * messages translated), {@link org.fedbeam.pipelines.cli.OptionFlags} (the flags of an options
 * interface, by reflection), {@link org.fedbeam.pipelines.cli.StrategyFlags} (the strategies' parameter
 * flags), {@link org.fedbeam.pipelines.cli.Help} ({@code --help}) and {@link
 * org.fedbeam.pipelines.cli.Version} ({@code --version}). The top of the package layering: it may use
 * every other package of the module, none uses it. {@code bench} and {@code demo} live in the
 * fedbeam-tools module.
 */
package org.fedbeam.pipelines.cli;
