package org.fedbeam.model.linalg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas;
import smile.math.blas.BLAS;
import smile.math.blas.Layout;
import smile.math.blas.Transpose;

/**
 * FedBeam's one door to native BLAS: Smile's OpenBLAS engine for the level-2 and level-3 routines
 * and the same OpenBLAS library for level 1. Every operand is a direct {@link FloatBuffer}, so a
 * call passes an address and never copies a Java array across JNI. Row-major throughout.
 *
 * <p>OpenBLAS runs single-threaded here: parallelism comes from running several silos (Flink
 * subtasks) at once, and a single-threaded GEMM gives bit-identical results run after run.
 */
public final class NativeBlas {
  private static final BLAS ENGINE;

  static {
    ENGINE = BLAS.getInstance();
    openblas.blas_set_num_threads(1);
  }

  private NativeBlas() {}

  /** A zeroed direct float buffer in native byte order, for use with the routines here. */
  public static FloatBuffer allocate(int floats) {
    return ByteBuffer.allocateDirect(Math.multiplyExact(floats, Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** A view of {@code length} floats of {@code buffer} starting at absolute index {@code offset}. */
  public static FloatBuffer slice(FloatBuffer buffer, int offset, int length) {
    return buffer.slice(offset, length);
  }

  /** {@code C = alpha * op(A) op(B) + beta * C} with op(A) m x k and op(B) k x n, row-major. */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatBuffer a, int lda,
      FloatBuffer b, int ldb, float beta, FloatBuffer c, int ldc) {
    ENGINE.gemm(Layout.ROW_MAJOR, transA ? Transpose.TRANSPOSE : Transpose.NO_TRANSPOSE,
        transB ? Transpose.TRANSPOSE : Transpose.NO_TRANSPOSE, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  /** {@code y = alpha * op(A) x + beta * y} with A m x n, row-major. */
  public static void gemv(boolean transA, int m, int n, float alpha, FloatBuffer a, int lda, FloatBuffer x, float beta,
      FloatBuffer y) {
    ENGINE.gemv(Layout.ROW_MAJOR, transA ? Transpose.TRANSPOSE : Transpose.NO_TRANSPOSE, m, n, alpha, a, lda, x, 1, beta,
        y, 1);
  }

  /** {@code A += alpha * x y^T} with A m x n, row-major. */
  public static void ger(int m, int n, float alpha, FloatBuffer x, FloatBuffer y, FloatBuffer a, int lda) {
    ENGINE.ger(Layout.ROW_MAJOR, m, n, alpha, x, 1, y, 1, a, lda);
  }

  /** {@code y += alpha * x} over the first {@code n} elements. */
  public static void axpy(int n, float alpha, FloatBuffer x, FloatBuffer y) {
    openblas.cblas_saxpy(n, alpha, x, 1, y, 1);
  }

  /** {@code x *= alpha} over the first {@code n} elements. */
  public static void scal(int n, float alpha, FloatBuffer x) {
    openblas.cblas_sscal(n, alpha, x, 1);
  }
}
