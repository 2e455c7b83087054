/**
 * Differential privacy accounting: the RDP accountant of the sampled Gaussian mechanism (Mironov
 * 2017; Mironov, Talwar and Zhang 2019) and its conversion to (epsilon, delta).
 */
package org.fedbeam.model.privacy;
