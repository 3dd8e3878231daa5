using System.Collections.Immutable;

namespace FedActors.Core.Tensors;

/// <summary>What <see cref="SafetensorsFile"/> read from a safetensors file: its tensors and its string metadata.</summary>
/// <typeparam name="TTensors">
/// <see cref="Parameters"/> for a file read as one parameter set, or an ordinal
/// <see cref="ImmutableSortedDictionary{TKey,TValue}"/> of them for a file read as a map.
/// </typeparam>
/// <param name="Tensors">The tensors, each layout in the file's data order.</param>
/// <param name="Metadata">The file's <c>__metadata__</c> object, ordinal by key; empty when the file has none.</param>
public sealed record SafetensorsContent<TTensors>(TTensors Tensors, ImmutableSortedDictionary<string, string> Metadata);
