using System.Collections.Immutable;

namespace FedActors.Core.Strategies;

/// <summary>
/// A strategy whose releases spend privacy (DP-FedAvg): its accountant's state, apart from the
/// rest of its checkpointed state, so that the coordinator can keep what was spent between two
/// checkpoints (<see cref="Server.PrivacySpentRecord"/>) and a resumed run can count it.
/// </summary>
public interface IAccountedStrategy : IStrategy
{
    /// <summary>The accountant's state now, as named scalars.</summary>
    ImmutableSortedDictionary<string, double> ExportSpent();

    /// <summary>
    /// After <see cref="IStrategy.ImportState"/>: takes <paramref name="spent"/> (an earlier
    /// <see cref="ExportSpent"/> of this run) as the accountant's state when it has composed at
    /// least as many steps as the imported one; never lowers what was spent.
    /// </summary>
    /// <exception cref="ArgumentException">The scalars hold no such accountant, or a broken one.</exception>
    void ImportSpent(IReadOnlyDictionary<string, double> spent);
}
