using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DapperTenants.Catalog;

namespace DapperTenants.Connections;

/// <summary>
/// Signs the tenant context: one per data source, created from <see cref="TenantOptions"/> with a
/// <see cref="TenantOptions.SigningKey"/>. A token is <c>v1.&lt;key id&gt;.&lt;expiry&gt;.&lt;backend&gt;.&lt;tenant&gt;.&lt;mac&gt;</c>:
/// the key id, the expiry in Unix seconds, the backend process id it is bound to (0 for any), the tenant's UTF-8 bytes
/// in lower-case hex, and the HMAC-SHA256 of <c>&lt;setting name&gt;:&lt;everything before the mac&gt;</c> in lower-case hex.
/// </summary>
/// <remarks>
/// <para>
/// Every character of a token is one of <c>[a-z0-9_.]</c>, whatever the tenant: it can be sent as a bound parameter,
/// or as a literal in <c>SET LOCAL</c>, without quoting concerns. The setting name is inside the MAC, so a token for one
/// setting verifies under no other.
/// </para>
/// <para>
/// Tokens are cached per tenant (and backend) and reused until half their lifetime is left, then replaced: a cache hit
/// is a dictionary lookup and a clock read, and allocates nothing. Thread-safe. The cache starts over past
/// <see cref="MaxCachedTokens"/> entries, so a stream of distinct tenants cannot grow it without bound.
/// </para>
/// </remarks>
internal sealed class TenantTokenMinter
{
    /// <summary>The most tokens kept; the cache is cleared when a new one would exceed it.</summary>
    public const int MaxCachedTokens = 10_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _key;
    private readonly long _lifetimeSeconds;
    private readonly ConcurrentDictionary<(string Tenant, int Backend), TenantToken> _cache = new();
    private int _count;

    /// <summary>Creates a minter for one key, key id and setting.</summary>
    /// <param name="key">The signing key (copied), at least 32 bytes.</param>
    /// <param name="keyId">The id the database holds the key under.</param>
    /// <param name="settingName">The setting the token is sent in; part of the MAC.</param>
    /// <param name="lifetime">How long a token is valid.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> unless a test fakes it.</param>
    public TenantTokenMinter(ReadOnlySpan<byte> key, string keyId, string settingName, TimeSpan lifetime, TimeProvider? timeProvider = null)
    {
        var copy = key.ToArray();
        TenantOptions.ValidateSigningKey(copy, "The signing key", nameof(key));
        TenantOptions.ValidateSigningKeyId(keyId, "The signing key id", nameof(keyId));
        TenantOptions.ValidateSettingName(settingName, nameof(settingName));
        if (lifetime < TenantOptions.MinSigningTokenLifetime || lifetime > TenantOptions.MaxSigningTokenLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "A token lifetime must be between 10 seconds and 1 day.");
        }

        _key = copy;
        KeyId = keyId;
        SettingName = settingName;
        Lifetime = lifetime;
        _lifetimeSeconds = (long)Math.Ceiling(lifetime.TotalSeconds);
        Time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The key id every token names.</summary>
    public string KeyId { get; }

    /// <summary>The setting the tokens are for.</summary>
    public string SettingName { get; }

    /// <summary>How long a token is valid after it is signed.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>The clock tokens are dated with.</summary>
    public TimeProvider Time { get; }

    /// <summary>A minter for validated options, or <see langword="null"/> when they have no signing key (the unsigned context).</summary>
    /// <param name="options">Options that already passed <c>Validate</c> (a data source's copy).</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    public static TenantTokenMinter? Create(TenantOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.SigningKey is { } key
            ? new TenantTokenMinter(key, options.SigningKeyId, options.SettingName, options.SigningTokenLifetime, timeProvider)
            : null;
    }

    /// <summary>The token for <paramref name="tenant"/>, valid on any backend: cached, renewed when half its lifetime is gone.</summary>
    /// <param name="tenant">A tenant the data source already validated.</param>
    /// <returns>The token. The same string instance until it is renewed, so a caller can tell a renewal by reference.</returns>
    /// <exception cref="ArgumentException">The tenant is empty, holds NUL or an unpaired surrogate, or is over 4096 UTF-8 bytes.</exception>
    public string TokenFor(string tenant) => Get(tenant, 0).Value;

    /// <summary>The token for <paramref name="tenant"/>, valid only on the server backend <paramref name="backendProcessId"/>.</summary>
    /// <param name="tenant">A tenant the data source already validated.</param>
    /// <param name="backendProcessId">The PostgreSQL backend's process id (<c>NpgsqlConnection.ProcessID</c>) for a direct connection.</param>
    /// <returns>The token, cached per tenant and backend.</returns>
    /// <remarks>
    /// Only for connections that reach PostgreSQL directly: behind PgBouncer the process id Npgsql sees is the pooler's,
    /// and no token would verify. A bound token read by injected SQL is useless on every other backend.
    /// </remarks>
    public string TokenFor(string tenant, int backendProcessId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backendProcessId);
        return Get(tenant, backendProcessId).Value;
    }

    /// <summary>The cached token with its expiry, for a caller that must know when to send a fresh one (Session scope).</summary>
    /// <param name="tenant">A tenant the data source already validated.</param>
    /// <param name="backendProcessId">0 for any backend, else the backend's process id.</param>
    /// <returns>The cached or freshly signed token.</returns>
    public TenantToken Get(string tenant, int backendProcessId = 0)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var nowTicks = Time.GetUtcNow().UtcTicks;
        if (_cache.TryGetValue((tenant, backendProcessId), out var cached) && nowTicks < cached.RenewAtTicks)
        {
            return cached;
        }

        var fresh = MintFresh(tenant, backendProcessId);
        if (_cache.TryAdd((tenant, backendProcessId), fresh))
        {
            if (Interlocked.Increment(ref _count) > MaxCachedTokens)
            {
                _cache.Clear();
                Interlocked.Exchange(ref _count, 0);
            }
        }
        else
        {
            _cache[(tenant, backendProcessId)] = fresh;
        }

        return fresh;
    }

    /// <summary>A token signed now, bypassing the cache (the startup check's probe).</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="backendProcessId">0 for any backend, else the backend's process id.</param>
    /// <returns>A fresh token.</returns>
    public TenantToken MintFresh(string tenant, int backendProcessId = 0)
    {
        var now = Time.GetUtcNow();
        var expires = now.ToUnixTimeSeconds() + _lifetimeSeconds;
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expires);
        var value = Mint(tenant, backendProcessId, expires);
        return new TenantToken(value, expiresAt, expiresAt - (Lifetime / 2));
    }

    /// <summary>Signs a token with an explicit expiry (tests forge expired ones with it).</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="backendProcessId">0 for any backend, else the backend's process id.</param>
    /// <param name="expiresUnixSeconds">The expiry, in seconds since 1970-01-01 UTC.</param>
    /// <returns>The token.</returns>
    public string Mint(string tenant, int backendProcessId, long expiresUnixSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(backendProcessId);
        ArgumentOutOfRangeException.ThrowIfNegative(expiresUnixSeconds);
        var payload = string.Create(CultureInfo.InvariantCulture,
            $"{SignedContextNames.TokenVersion}.{KeyId}.{expiresUnixSeconds}.{backendProcessId}.{Convert.ToHexStringLower(EncodeTenant(tenant))}");
        return payload + "." + Convert.ToHexStringLower(Mac(payload));
    }

    /// <summary>The HMAC-SHA256 the server recomputes: over the setting name, a colon, and the token without its mac.</summary>
    private byte[] Mac(string payload)
    {
        // Setting names are [a-z0-9_.] and payloads [a-z0-9_.]: ASCII, and the colon cannot occur in either.
        var message = Encoding.ASCII.GetBytes(SettingName + ":" + payload);
        return HMACSHA256.HashData(_key, message);
    }

    private static byte[] EncodeTenant(string tenant)
    {
        if (tenant.Length == 0)
        {
            throw new ArgumentException("A tenant to sign cannot be empty.", nameof(tenant));
        }

        if (tenant.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A tenant to sign cannot contain NUL: PostgreSQL text cannot hold it.", nameof(tenant));
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(tenant);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("A tenant to sign cannot contain an unpaired surrogate: it has no UTF-8 form.", nameof(tenant), ex);
        }

        return bytes.Length <= SignedContextNames.MaxTenantBytes
            ? bytes
            : throw new ArgumentException(
                $"A tenant to sign is {bytes.Length} UTF-8 bytes; the signed context carries at most {SignedContextNames.MaxTenantBytes}.", nameof(tenant));
    }
}
