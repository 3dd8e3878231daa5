namespace FedActors.Torch.Partitioning;

/// <summary>
/// Gamma and Dirichlet draws from a seeded <see cref="Random"/>, so that partitions are
/// reproducible without a numerics library.
/// </summary>
internal static class DirichletSampling
{
    /// <summary>
    /// A draw from Dir(alpha, ..., alpha) of <paramref name="dimensions"/> components: independent
    /// Gamma(alpha, 1) draws divided by their sum.
    /// </summary>
    public static double[] Symmetric(Random random, double alpha, int dimensions)
    {
        var draws = new double[dimensions];
        double sum = 0;
        for (var i = 0; i < dimensions; i++)
        {
            draws[i] = Gamma(random, alpha);
            sum += draws[i];
        }

        if (!(sum > 0))
        {
            // Tiny alphas can underflow every draw to 0; the limit of Dir(alpha) as alpha -> 0
            // puts all the mass on one component, chosen uniformly.
            Array.Clear(draws);
            draws[random.Next(dimensions)] = 1;
            return draws;
        }

        for (var i = 0; i < dimensions; i++)
        {
            draws[i] /= sum;
        }

        return draws;
    }

    /// <summary>
    /// A draw from Gamma(shape, 1) by Marsaglia and Tsang (2000), "A simple method for generating
    /// gamma variables", ACM TOMS 26(3). For shape &lt; 1 it uses Gamma(shape) = Gamma(shape + 1) x U^(1/shape).
    /// </summary>
    public static double Gamma(Random random, double shape)
    {
        if (shape < 1)
        {
            var u = random.NextDouble();
            return Gamma(random, shape + 1) * Math.Pow(u, 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = random.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    // Box-Muller; 1 - NextDouble() lies in (0, 1], so the logarithm is finite.
    private static double StandardNormal(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
