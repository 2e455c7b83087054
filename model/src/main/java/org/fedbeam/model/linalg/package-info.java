/** The project's one wrapper of native BLAS (Smile's OpenBLAS engine), over direct float buffers. */
package org.fedbeam.model.linalg;
