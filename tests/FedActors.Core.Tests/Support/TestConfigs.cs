using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Core.Tests.Support;

/// <summary>Configurations for Core's actor tests: every message through the serializer, quiet logs.</summary>
internal static class TestConfigs
{
    // A 10 s expectation window (TestKit's default is 3 s): a passing test never waits it out,
    // and a busy CI machine must not turn a restart-and-retry scenario into a false failure.
    private const string Common = """
        akka.test.single-expect-default = 10s
        akka.actor.serialize-messages = on
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    /// <summary>Real time; for tests that never wait on a deadline.</summary>
    public static Config RealTime(string overrides = "") =>
        FedActorsConfig.Load(ConfigurationFactory.ParseString(overrides + "\n" + Common));

    /// <summary>Virtual time: deadlines fire only when the test advances the <c>TestScheduler</c>.</summary>
    public static Config VirtualTime(string overrides = "") =>
        FedActorsConfig.Load(ConfigurationFactory.ParseString(
            overrides + "\n" + Common + "\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\""));
}
