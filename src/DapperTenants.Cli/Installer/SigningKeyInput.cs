using System.Buffers.Text;
using System.Text;

namespace DapperTenants.Cli.Installer;

/// <summary>
/// Reads a signing key from an environment variable or a file, never from the command line (shell history, <c>ps</c>).
/// A variable holds the key as hex or base64; a file holds hex, base64, or the raw bytes.
/// </summary>
/// <remarks>Messages name the variable or the file, never the value.</remarks>
internal static class SigningKeyInput
{
    /// <summary>Files larger than this are not keys; they are not read.</summary>
    private const int MaxFileBytes = 16 * 1024;

    /// <summary>The key in an environment variable.</summary>
    /// <param name="name">The variable's name.</param>
    /// <param name="error">Why there is no usable key, for a usage error.</param>
    /// <returns>The key, or <see langword="null"/> with <paramref name="error"/> set.</returns>
    public static byte[]? FromEnvironment(string name, out string? error)
    {
        var value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            error = $"--signing-key-env {name}: the environment variable is not set or is empty.";
            return null;
        }

        var key = DecodeText(value);
        error = key is null
            ? $"--signing-key-env {name}: the value is neither hex nor base64."
            : TooShort(key, $"--signing-key-env {name}");
        return error is null ? key : null;
    }

    /// <summary>The key in a file.</summary>
    /// <param name="file">The file.</param>
    /// <param name="error">Why there is no usable key, for a usage error.</param>
    /// <returns>The key, or <see langword="null"/> with <paramref name="error"/> set.</returns>
    public static byte[]? FromFile(FileInfo file, out string? error)
    {
        if (file.Length > MaxFileBytes)
        {
            error = $"--signing-key-file {file.Name}: {file.Length} bytes is not a key (a key file holds hex, base64 or the raw key).";
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"--signing-key-file {file.Name}: {ex.Message}";
            return null;
        }

        // Text first (what `openssl rand -hex 32 > key` writes); anything else is the key itself (`head -c 32 /dev/urandom > key`).
        var key = IsText(bytes) ? DecodeText(Encoding.ASCII.GetString(bytes)) ?? bytes : bytes;
        error = TooShort(key, $"--signing-key-file {file.Name}");
        return error is null ? key : null;
    }

    private static string? TooShort(byte[] key, string source) => key.Length < TenantOptions.MinSigningKeyLength
        ? $"{source}: the key is {key.Length} bytes; a signing key needs at least {TenantOptions.MinSigningKeyLength} "
            + "(generate one with: openssl rand -hex 32)."
        : null;

    private static byte[]? DecodeText(string value)
    {
        var text = value.Trim();
        if (text.Length % 2 == 0 && text.All(Uri.IsHexDigit))
        {
            return Convert.FromHexString(text);
        }

        var standard = text.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + ((4 - (standard.Length % 4)) % 4), '=');
        return Base64.IsValid(standard) ? Convert.FromBase64String(standard) : null;
    }

    private static bool IsText(byte[] bytes) => bytes.All(b => b is (>= 0x20 and < 0x7f) or (byte)'\n' or (byte)'\r' or (byte)'\t');
}
