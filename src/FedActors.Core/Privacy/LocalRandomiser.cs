using FedActors.Core.Tensors;

namespace FedActors.Core.Privacy;

/// <summary>
/// Local differential privacy for one client's update: the randomiser runs where the data is,
/// before the update leaves the node, so no one past the client, the server included, sees the
/// raw update. The local model is Kasiviswanathan, Lee, Nissim, Raskhodnikova and Smith, "What Can
/// We Learn Privately?", FOCS 2008 / SIAM J. Comput. 2011; for federated learning, Truex, Liu,
/// Chow, Gursoy and Wei, "LDP-Fed: Federated Learning with Local Differential Privacy", EdgeSys 2020.
/// </summary>
/// <remarks>
/// <para>
/// The rule, with C = <c>local.clip</c> and z = <c>local.noise-multiplier</c>:
/// <c>Δ = w_k − w_global</c>; <c>Δ̄ = Δ·min(1, C/‖Δ‖₂)</c>; <c>Δ̃ = Δ̄ + N(0, σ²·I)</c> with
/// <c>σ = z·2C</c>; the client sends <c>w_global + Δ̃</c> (as float32). Two clipped updates differ by
/// at most 2C in L2 norm, so 2C is the sensitivity when the client's data is replaced by any other,
/// and each release is one Gaussian mechanism (Dwork and Roth 2014; its ε:
/// <see cref="LocalPrivacyLoss"/>, analytic calibration of Balle and Wang 2018). The noise is
/// <see cref="GaussianMechanism.Randomise"/>'s discrete Gaussian on a power-of-two grid (Mironov 2012
/// safe), from the source the caller gives (<see cref="NoiseSource.Secure"/> unless the run is
/// labelled non-private).
/// </para>
/// <para>
/// Why the clipping is done here and not with <c>RobustAggregation.ClipUpdate</c>: that rule returns
/// float32 parameters, and <c>(w_global + Δ·s) − w_global</c> re-rounded in float can exceed C by
/// about √d·ulp(w_global), which breaks the sensitivity the noise is sized for. Here Δ is taken in
/// double (exact: both operands are floats), clipped in double, noised, and only then rounded to
/// float32, which is post-processing of the noised release and costs no privacy.
/// </para>
/// <para>
/// What it does not cover: anything else the client sends (its sample count, training loss and
/// accuracy, the trainer's metrics such as FedNova's local step count, federated-evaluation
/// results), and strategy extras, which <c>FederatedClient</c> refuses to send with local DP on.
/// </para>
/// </remarks>
public static class LocalRandomiser
{
    /// <summary>Clips and noises <paramref name="updated"/>'s delta from <paramref name="global"/> (see the remarks).</summary>
    /// <exception cref="ArgumentException">The layouts differ, or the update is not finite.</exception>
    public static Parameters Randomise(Parameters global, Parameters updated, LocalDpSettings settings, NoiseSource noise)
    {
        var mismatch = global.Layout.DescribeMismatch(updated.Layout);
        if (mismatch is not null)
        {
            throw new ArgumentException($"the trained update's layout does not match the global model: {mismatch}", nameof(updated));
        }

        var delta = new double[global.Length];
        var w = updated.Values;
        var g = global.Values;
        var squares = 0.0;
        for (var i = 0; i < delta.Length; i++)
        {
            delta[i] = (double)w[i] - g[i];
            squares += delta[i] * delta[i];
        }

        var norm = Math.Sqrt(squares);
        if (!double.IsFinite(norm))
        {
            throw new ArgumentException("the trained update contains NaN or infinity; it cannot be clipped", nameof(updated));
        }

        // The factor is shaded by a few ulps so that the rounded product's norm stays at most C.
        if (norm > settings.Clip)
        {
            var scale = settings.Clip / norm * (1 - 1e-12);
            for (var i = 0; i < delta.Length; i++)
            {
                delta[i] *= scale;
            }
        }

        new GaussianMechanism(settings.Sensitivity, settings.Sigma).Randomise(delta, noise);
        var released = new float[delta.Length];
        for (var i = 0; i < released.Length; i++)
        {
            released[i] = (float)(g[i] + delta[i]);
        }

        return Parameters.Wrap(global.Layout, released);
    }
}
