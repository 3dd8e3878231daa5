namespace FederatedLinearRegression;

/// <summary>Labelled samples for y = w·x + b + noise; each party's inputs are shifted differently (feature skew).</summary>
internal sealed record Samples(float[][] X, float[] Y)
{
    public int Count => Y.Length;

    public static Samples Draw(int count, float[] trueW, float trueB, float shift, Random random)
    {
        var x = new float[count][];
        var y = new float[count];
        for (var i = 0; i < count; i++)
        {
            x[i] = trueW.Select(_ => shift + (float)random.NextDouble()).ToArray();
            y[i] = trueB + x[i].Select((v, j) => v * trueW[j]).Sum() + (float)((random.NextDouble() - 0.5) * 0.1);
        }

        return new Samples(x, y);
    }
}
