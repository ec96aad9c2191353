using DapperTenants.Catalog;
using DapperTenants.Policies;

namespace DapperTenants;

/// <content>The signed tenant context: its keys, their rotation, and how its plan joins the tables' plan.</content>
public sealed partial class PolicyInstaller
{
    /// <summary>
    /// Makes the policies accept a tenant only from a token signed with <paramref name="key"/>, and installs what that
    /// needs: a schema <c>dapper_tenants</c> with a key table only its owner can read, a <c>SECURITY DEFINER</c> verifier
    /// the policies call once per statement, a diagnostic for the data source's startup check, and the key under
    /// <paramref name="keyId"/>.
    /// </summary>
    /// <param name="key">The key the application's <see cref="TenantOptions.SigningKey"/> holds: at least 32 bytes (copied).</param>
    /// <param name="keyId">The id the application's <see cref="TenantOptions.SigningKeyId"/> holds.</param>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException">
    /// The key is shorter than 32 bytes, the key id is not 1 to 32 lower case letters, digits and underscores, the id
    /// was given before with another key, or it is being retired.
    /// </exception>
    /// <remarks>
    /// <para>
    /// Call it once per key to keep several installed (rotation: install the new key next to the old one, move the
    /// application to it, then <see cref="RetireSigningKey"/> the old one). Installed keys that are given neither here
    /// nor to <see cref="RetireSigningKey"/> stay, with a warning.
    /// </para>
    /// <para>
    /// Applying sends the key as a bound parameter of one statement, never in the SQL text, so <see cref="PolicyPlan"/>
    /// and its <see cref="PolicyPlan.ToSql"/> never contain it; a server that logs statement parameters
    /// (<c>log_statement = all</c> with <c>log_parameter_max_length</c> not 0) would log it. Reading a plan sends only
    /// a SHA-256 fingerprint. <see cref="Script()"/> prints a placeholder unless asked for the key.
    /// </para>
    /// <para>
    /// Without <see cref="GrantTo"/>, nobody but the owner may execute the verifier, and the application's login would
    /// see no rows: the plan warns.
    /// </para>
    /// </remarks>
    public PolicyInstaller UseSignedContext(byte[] key, string keyId = TenantOptions.DefaultSigningKeyId)
    {
        ArgumentNullException.ThrowIfNull(key);
        TenantOptions.ValidateSigningKey(key, "The signing key", nameof(key));
        TenantOptions.ValidateSigningKeyId(keyId, "The signing key id", nameof(keyId));
        if (_retired.Contains(keyId))
        {
            throw new ArgumentException(
                $"The signing key id '{keyId}' is also given to RetireSigningKey: a key cannot be installed and retired at once.", nameof(keyId));
        }

        var existing = _keys.Find(k => k.KeyId == keyId);
        if (existing is not null)
        {
            if (!existing.Key.AsSpan().SequenceEqual(key))
            {
                throw new ArgumentException(
                    $"The signing key id '{keyId}' was given twice with different keys. Give each key its own id.", nameof(keyId));
            }

            return this;
        }

        _keys.Add(new SigningKeyModel(keyId, key.ToArray()));
        return this;
    }

    /// <summary>
    /// Removes the key <paramref name="keyId"/> from the database: tokens signed with it no longer verify. The last
    /// step of a rotation, once no application signs with that key.
    /// </summary>
    /// <param name="keyId">The id to retire; retiring an id that is not installed does nothing.</param>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException">The key id is not valid, or it is given to <see cref="UseSignedContext"/>.</exception>
    public PolicyInstaller RetireSigningKey(string keyId)
    {
        TenantOptions.ValidateSigningKeyId(keyId, "The signing key id", nameof(keyId));
        if (_keys.Exists(k => k.KeyId == keyId))
        {
            throw new ArgumentException(
                $"The signing key id '{keyId}' is given to UseSignedContext: a key cannot be installed and retired at once.", nameof(keyId));
        }

        if (!_retired.Contains(keyId))
        {
            _retired.Add(keyId);
        }

        return this;
    }

    private SignedContextModel SignedModel() => _keys.Count == 0 && _retired.Count == 0
        ? SignedContextModel.Unsigned
        : new SignedContextModel([.. _keys], [.. _retired]);

    /// <summary>
    /// Whether the server can print the model's expressions: signed ones call the verifier, which must exist first. When
    /// it does not, no stored expression can be the model's, and the first plan's verdict stands.
    /// </summary>
    private static bool CanRender(SignedContextModel signed, SignedContextCatalog? catalog) => !signed.Signed || catalog is { VerifierExists: true };

    /// <summary>The signed context's steps first (the policies call the verifier), then the tables', then the retirements.</summary>
    private static PolicyPlan Combine(PolicyPlan tables, SignedContextModel signed, SignedContextCatalog? catalog, string[] roles, string installer)
    {
        if (catalog is null)
        {
            return tables;
        }

        var context = SignedContextPlanner.Plan(signed, catalog, roles, installer);
        return new PolicyPlan(
            [.. context.Steps, .. tables.Steps, .. context.Retirements],
            [.. context.Warnings, .. tables.Warnings],
            [.. context.Errors, .. tables.Errors]);
    }
}
