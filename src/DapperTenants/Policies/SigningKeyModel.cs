using System.Security.Cryptography;

namespace DapperTenants.Policies;

/// <summary>A signing key given to <see cref="PolicyInstaller.UseSignedContext"/>, and how the database stores it.</summary>
/// <param name="KeyId">The id tokens name it by.</param>
/// <param name="Key">The key (a private copy).</param>
internal sealed record SigningKeyModel(string KeyId, byte[] Key)
{
    /// <summary>
    /// SHA-256 of the HMAC-SHA256 inner pad followed by the outer pad, as the key table holds them: the plan compares
    /// this with <c>sha256(inner_pad || outer_pad)</c> on the server, so reading the plan never sends the key.
    /// </summary>
    public byte[] Fingerprint()
    {
        // HMAC (RFC 2104): a key longer than the 64-byte block is hashed first; the block is zero-padded.
        Span<byte> block = stackalloc byte[64];
        block.Clear();
        if (Key.Length > 64)
        {
            SHA256.HashData(Key, block);
        }
        else
        {
            Key.CopyTo(block);
        }

        Span<byte> pads = stackalloc byte[128];
        for (var i = 0; i < 64; i++)
        {
            pads[i] = (byte)(block[i] ^ 0x36);
            pads[64 + i] = (byte)(block[i] ^ 0x5c);
        }

        return SHA256.HashData(pads);
    }
}
