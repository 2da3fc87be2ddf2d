using StaticNets.Kernels;

namespace StaticNets.Tests;

public class MatrixMultiplyTests
{
    // Every block sums each element over k in order from zero, so the product equals this loop bit for bit, whatever the
    // blocking, the vector width (the CI runs this under each) or the overlapping last vector.
    private static float Reference(float[] a, int aStrideK, int aStrideM, float[] b, int bStride, int k, int m, int j)
    {
        float sum = 0f;
        for (int t = 0; t < k; t++)
        {
            float x = a[t * aStrideK + m * aStrideM], y = b[t * bStride + j];
            sum = Simd.Fused ? MathF.FusedMultiplyAdd(x, y, sum) : x * y + sum;
        }
        return sum;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void The_product_sums_in_order_and_writes_only_its_columns(bool transposedA, bool accumulate)
    {
        foreach (int rows in new[] { 1, 3, 4, 8, 13 })
            foreach (int columns in new[] { 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 49, 70 })
                foreach (int kCount in new[] { 0, 1, 6 })
                    Check(rows, columns, kCount, transposedA, accumulate);
    }

    private static void Check(int rows, int columns, int kCount, bool transposedA, bool accumulate)
    {
        var rng = new Rng((ulong)(rows * 1000 + columns * 10 + kCount));
        int bStride = columns + 3, cStride = columns + 5;
        float[] a = TestData.Normal(Math.Max(1, kCount * rows), rng), b = TestData.Normal(Math.Max(1, kCount * bStride), rng);
        float[] c = TestData.Normal(rows * cStride, rng), before = (float[])c.Clone();
        // A(k, m) at k·rows + m (side by side, the unit-stride blocks) or at m·K + k.
        int aStrideK = transposedA ? rows : 1, aStrideM = transposedA ? 1 : kCount;
        MatrixMultiply.Run(new MatrixProduct(a, aStrideK, aStrideM, b, bStride, c, cStride, kCount, rows, columns, accumulate));
        for (int m = 0; m < rows; m++)
            for (int j = 0; j < cStride; j++)
            {
                float expected = j >= columns ? before[m * cStride + j]
                    : accumulate ? before[m * cStride + j] + Reference(a, aStrideK, aStrideM, b, bStride, kCount, m, j)
                    : Reference(a, aStrideK, aStrideM, b, bStride, kCount, m, j);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(c[m * cStride + j]),
                    $"C[{m}, {j}] = {c[m * cStride + j]}, expected {expected} ({rows} × {columns}, K = {kCount})");
            }
    }
}
