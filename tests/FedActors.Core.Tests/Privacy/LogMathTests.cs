using FedActors.Core.Privacy;

namespace FedActors.Core.Tests.Privacy;

public sealed class LogMathTests
{
    // erfc(x) and log erfc(x) to 20 digits: erf for x <= 2 as in Abramowitz and Stegun, Table 7.1;
    // every value here computed with mpmath 1.3.0 at 40 significant digits.
    [Theory]
    [InlineData(-3.0, 1.9999779095030014146, 0.69313613525044681032)]
    [InlineData(-0.5, 1.5204998778130465377, 0.41903914777555958036)]
    [InlineData(0.0, 1.0, 0.0)]
    [InlineData(0.1, 0.8875370839817151078, -0.11930497373739559833)]
    [InlineData(0.5, 0.47950012218695346232, -0.73501112983708440303)]
    [InlineData(1.0, 0.15729920705028513066, -1.8496055099332482486)]
    [InlineData(1.4999, 0.033906748337704730688, -3.384141218397752249)]
    [InlineData(1.5, 0.033894853524689272933, -3.3844920895515527203)]
    [InlineData(2.0, 0.0046777349810472658379, -5.3649412646166375745)]
    [InlineData(3.0, 0.000022090496998585441373, -10.720363041981112568)]
    [InlineData(5.0, 1.5374597944280348502e-12, -27.200889545537434422)]
    [InlineData(10.0, 2.088487583762544757e-45, -102.87988902484488857)]
    [InlineData(26.0, 5.6631924088561428465e-296, -679.83119976319423026)]
    public void Erfc_AtPublishedPoints_MatchesTo2e14Relative(double x, double erfc, double logErfc)
    {
        // when
        var value = LogMath.Erfc(x);
        var log = LogMath.LogErfc(x);

        // then
        Assert.True(Math.Abs(value - erfc) <= 2e-14 * erfc, $"erfc({x}) = {value:R}, expected {erfc:R}");
        Assert.True(Math.Abs(log - logErfc) <= 2e-14 * Math.Max(1.0, Math.Abs(logErfc)), $"log erfc({x}) = {log:R}, expected {logErfc:R}");
    }

    [Theory]
    [InlineData(27.0, -732.86888650789741098)]
    [InlineData(40.0, -1604.2615566532735557)]
    public void LogErfc_WhereErfcUnderflows_StaysAccurate(double x, double logErfc)
    {
        // when
        var log = LogMath.LogErfc(x);

        // then
        Assert.True(Math.Abs(log - logErfc) <= 2e-15 * Math.Abs(logErfc), $"log erfc({x}) = {log:R}, expected {logErfc:R}");
    }

    [Fact]
    public void NormalCdf_AtKnownQuantiles_GivesTheirProbabilities()
    {
        // then: Φ(0) = 1/2, Φ(1.959963984540054) = 0.975, and log Φ(-40) (mpmath: -804.6084420137538)
        Assert.Equal(0.5, LogMath.NormalCdf(0.0), 15);
        Assert.Equal(0.975, LogMath.NormalCdf(1.959963984540054), 14);
        Assert.Equal(-804.6084420137538, LogMath.LogNormalCdf(-40.0), 10);
    }

    [Fact]
    public void LogSpaceArithmetic_WhenValuesUnderflow_KeepsTheirDigits()
    {
        // then
        Assert.Equal(-1000 + Math.Log(2), LogMath.LogAdd(-1000, -1000), 12);
        Assert.Equal(-1000 + Math.Log(1 - Math.Exp(-1)), LogMath.LogSub(-1000, -1001), 12);
        Assert.Equal(double.NegativeInfinity, LogMath.LogSub(-5, -5));
        Assert.Equal(1e-20, LogMath.Log1P(1e-20));
        Assert.Equal(1e-20, LogMath.ExpM1(1e-20));
        Assert.Throws<ArgumentException>(() => LogMath.LogSub(-2, -1));
    }
}
