using Akka.Configuration;
using FedActors.Core.Client;
using FedActors.Core.Configuration;
using FedActors.Core.Privacy;

namespace FedActors.Core.Tests.Privacy;

public sealed class LocalDpSettingsTests
{
    [Theory]
    [InlineData("off")]
    [InlineData("central")]
    public void Create_WhenModeIsNotLocal_GivesNoLocalDp(string mode)
    {
        // given privacy.mode other than local
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString($"fedactors.privacy.mode = {mode}"));

        // when the client's settings are read
        // then local DP is off
        Assert.Null(LocalDpSettings.Create(config));
        Assert.Null(ClientSupervisorSettings.Create(config).LocalDp);
    }

    [Fact]
    public void Create_WhenModeIsLocal_ReadsTheDocumentedDefaults()
    {
        // given privacy.mode = local over reference.conf
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString("fedactors.privacy.mode = local"));

        // when the client supervisor's settings are read
        var dp = ClientSupervisorSettings.Create(config).LocalDp;

        // then they carry reference.conf's values, and σ = z·2C
        Assert.Equal(new LocalDpSettings(1.0, 1.0, SecureNoise: true, 1e-5, LocalDpSettings.Rdp, RdpConversion.Improved), dp);
        Assert.Equal(2.0, dp!.Sigma);
    }

    [Theory]
    [InlineData("local.clip = 0", "fedactors.privacy.local.clip")]
    [InlineData("local.noise-multiplier = -1", "fedactors.privacy.local.noise-multiplier")]
    [InlineData("local.noise-multiplier = 0", "fedactors.privacy.local.noise-multiplier")]
    [InlineData("delta = 1", "fedactors.privacy.delta")]
    [InlineData("delta = 0", "fedactors.privacy.delta")]
    [InlineData("noise = pseudo", "fedactors.privacy.noise")]
    [InlineData("accountant = moments", "fedactors.privacy.accountant")]
    [InlineData("mode = locally", "fedactors.privacy.mode")]
    public void Create_WhenAValueIsInvalid_ThrowsNamingTheKey(string hocon, string key)
    {
        // given local DP with one invalid value
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString($"fedactors.privacy {{ mode = local, {hocon} }}"));

        // when the settings are read
        var error = Assert.Throws<ConfigurationException>(() => LocalDpSettings.Create(config));

        // then the message names the key
        Assert.Contains($"'{key}'", error.Message);
    }
}
