/** Byzantine behaviour for simulations: what a lying silo sends, to measure the robust strategies. */
package org.fedbeam.model.attack;
