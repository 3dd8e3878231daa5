namespace FedActors.Core.Privacy;

/// <summary>Linear convolution of non-negative sequences by an iterative radix-2 complex FFT (Cooley and Tukey 1965), twiddles from Math.Cos/Sin each (no recurrence, so no drift).</summary>
internal static class Fft
{
    /// <summary>The linear convolution of <paramref name="a"/> and <paramref name="b"/> (length a + b − 1), negative rounding noise clamped to 0.</summary>
    public static double[] Convolve(double[] a, double[] b)
    {
        var length = a.Length + b.Length - 1;
        var n = 1;
        while (n < length)
        {
            n <<= 1;
        }

        var (ar, ai) = (new double[n], new double[n]);
        var (br, bi) = (new double[n], new double[n]);
        a.CopyTo(ar, 0);
        b.CopyTo(br, 0);
        Transform(ar, ai, inverse: false);
        Transform(br, bi, inverse: false);
        for (var i = 0; i < n; i++)
        {
            (ar[i], ai[i]) = ((ar[i] * br[i]) - (ai[i] * bi[i]), (ar[i] * bi[i]) + (ai[i] * br[i]));
        }

        Transform(ar, ai, inverse: true);
        var result = new double[length];
        for (var i = 0; i < length; i++)
        {
            result[i] = Math.Max(0.0, ar[i] / n);
        }

        return result;
    }

    private static void Transform(double[] re, double[] im, bool inverse)
    {
        var n = re.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            var bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
            {
                j ^= bit;
            }

            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }

        var sign = inverse ? 1.0 : -1.0;
        var (cos, sin) = (new double[n / 2], new double[n / 2]);
        for (var k = 0; k < n / 2; k++)
        {
            var angle = sign * 2 * Math.PI * k / n;
            (cos[k], sin[k]) = (Math.Cos(angle), Math.Sin(angle));
        }

        for (var size = 2; size <= n; size <<= 1)
        {
            var half = size / 2;
            var stride = n / size;
            for (var start = 0; start < n; start += size)
            {
                for (var k = 0; k < half; k++)
                {
                    var (wr, wi) = (cos[k * stride], sin[k * stride]);
                    var (p, q) = (start + k, start + k + half);
                    var tr = (wr * re[q]) - (wi * im[q]);
                    var ti = (wr * im[q]) + (wi * re[q]);
                    (re[q], im[q]) = (re[p] - tr, im[p] - ti);
                    (re[p], im[p]) = (re[p] + tr, im[p] + ti);
                }
            }
        }
    }
}
