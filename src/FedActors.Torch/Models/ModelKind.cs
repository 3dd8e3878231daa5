namespace FedActors.Torch.Models;

/// <summary>
/// The models a simulation can train. All take 28x28 greyscale images ([batch, 1, 28, 28])
/// and give 10 class scores (logits). Config names are in <see cref="ModelKindNames"/>.
/// </summary>
public enum ModelKind
{
    /// <summary><c>logistic-regression</c>: one linear layer 784 -> 10 (7,850 parameters).</summary>
    LogisticRegression,

    /// <summary>
    /// <c>mlp</c>: the "2NN" of McMahan et al. 2017 (arXiv:1602.05629), 784 -> 200 -> 200 -> 10
    /// with ReLU (199,210 parameters).
    /// </summary>
    Mlp,

    /// <summary>
    /// <c>cnn</c>: the CNN of McMahan et al. 2017 (arXiv:1602.05629): 5x5 conv 32 (padding 2),
    /// 2x2 max pool, 5x5 conv 64 (padding 2), 2x2 max pool, fc 3136 -> 512, fc 512 -> 10, ReLU
    /// (1,663,370 parameters).
    /// </summary>
    Cnn,

    /// <summary>
    /// <c>niid-cnn</c>: the small CNN of NIID-Bench (Li et al. 2021, arXiv:2102.02079): 5x5 conv 6,
    /// 2x2 max pool, 5x5 conv 16, 2x2 max pool, fc 256 -> 120 -> 84 -> 10, ReLU (44,426 parameters).
    /// </summary>
    NiidCnn,
}
