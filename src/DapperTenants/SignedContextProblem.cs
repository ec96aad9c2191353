namespace DapperTenants;

/// <summary>Why the signed tenant context does not work on a database, as the first open of a data source with a signing key found it.</summary>
public enum SignedContextProblem
{
    /// <summary>A freshly signed token did not verify, for a reason the check could not name more precisely.</summary>
    Unverified,

    /// <summary>The verifier or its diagnostic is not installed: <see cref="PolicyInstaller.UseSignedContext"/> was never applied.</summary>
    NotInstalled,

    /// <summary>The login may not execute the verifier (or use its schema): the installer had no <see cref="PolicyInstaller.GrantTo"/> for it.</summary>
    NotExecutable,

    /// <summary>Some protected tables' policies still read the raw setting, so they would show no rows to signed connections.</summary>
    PoliciesReadRawSetting,

    /// <summary>The database holds no key under <see cref="TenantOptions.SigningKeyId"/>.</summary>
    KeyIdNotInstalled,

    /// <summary>The database holds another key under <see cref="TenantOptions.SigningKeyId"/> than <see cref="TenantOptions.SigningKey"/>.</summary>
    WrongKey,

    /// <summary>A token signed just now had already expired on the server: its clock is ahead of the application's.</summary>
    ClockSkew,

    /// <summary>A token bound to a backend was checked by another one: a connection pooler sits in between.</summary>
    OtherBackend,
}
