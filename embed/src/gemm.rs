//! Matrix products for the encoder: a safe front to `matrixmultiply::sgemm`.
//! It owns the one `unsafe` block of the crate and the checks that make it
//! sound (every element a stride can reach lies in its slice; the output's
//! rows do not overlap). It must not know what the matrices mean.

/// A strided read-only matrix view: element `(i, j)` is
/// `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A row-major matrix with rows `row_stride` apart, starting at `offset`.
    pub fn rows(data: &'a [f32], offset: usize, row_stride: usize) -> Self {
        View {
            data: &data[offset..],
            row_stride,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major matrix with rows `row_stride` apart,
    /// starting at `offset`: element `(i, j)` is the source's `(j, i)`.
    pub fn transposed(data: &'a [f32], offset: usize, row_stride: usize) -> Self {
        View {
            data: &data[offset..],
            row_stride: 1,
            col_stride: row_stride,
        }
    }

    /// Panics unless every element of a `rows × cols` matrix is in `data`.
    fn check(&self, rows: usize, cols: usize) {
        let last = (rows - 1) * self.row_stride + (cols - 1) * self.col_stride;
        assert!(last < self.data.len(), "matrix view out of bounds");
    }
}

/// `c = alpha · a · b + beta · c`, with `a` of `m × k`, `b` of `k × n`, and `c`
/// row-major `m × n` with rows `c_row_stride` apart. With `beta == 0` the
/// old contents of `c` are not read.
#[allow(clippy::too_many_arguments)] // the BLAS shape, kept recognisable
pub(crate) fn gemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: View<'_>,
    b: View<'_>,
    beta: f32,
    c: &mut [f32],
    c_row_stride: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(k > 0, "empty inner dimension");
    a.check(m, k);
    b.check(k, n);
    assert!(c_row_stride >= n, "output rows overlap");
    assert!(
        (m - 1) * c_row_stride + n <= c.len(),
        "output out of bounds"
    );
    // Slices never exceed isize::MAX bytes, so neither do strides that stay
    // inside them (checked above).
    let s = |x: usize| x as isize;
    // SAFETY: the asserts above keep every element sgemm reads (`a`, `b`) or
    // writes (`c`) inside its slice; `c` is borrowed mutably, so it aliases
    // neither input, and distinct (i, j) reach distinct elements of `c`
    // because its rows are at least `n` apart with unit column stride.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            s(a.row_stride),
            s(a.col_stride),
            b.data.as_ptr(),
            s(b.row_stride),
            s(b.col_stride),
            beta,
            c.as_mut_ptr(),
            s(c_row_stride),
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_product() {
        // a = [[1, 2], [3, 4]], w = [[1, 0], [1, 1], [0, 2]] read transposed:
        // a · wᵀ = [[1, 3, 4], [3, 7, 8]].
        let a = [1.0, 2.0, 3.0, 4.0];
        let w = [1.0, 0.0, 1.0, 1.0, 0.0, 2.0];
        let mut c = [10.0; 6];
        gemm(
            2,
            2,
            3,
            1.0,
            View::rows(&a, 0, 2),
            View::transposed(&w, 0, 2),
            1.0,
            &mut c,
            3,
        );
        assert_eq!(c, [11.0, 13.0, 14.0, 13.0, 17.0, 18.0]);
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn views_are_checked() {
        let a = [0.0; 3];
        let mut c = [0.0; 4];
        gemm(
            2,
            2,
            2,
            1.0,
            View::rows(&a, 0, 2),
            View::rows(&a, 0, 2),
            0.0,
            &mut c,
            2,
        );
    }
}
