namespace FedActors.Torch.Data;

/// <summary>
/// A data set file is missing, unreadable or not in the expected format. The message always
/// names the file, so that an operator can fix the right one without a debugger.
/// </summary>
public sealed class DatasetException : Exception
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    public DatasetException(string path, string message, Exception? innerException = null)
        : base($"{path}: {message}", innerException)
    {
        Path = path;
    }

    /// <summary>The file (or folder) the problem is about.</summary>
    public string Path { get; }
}
