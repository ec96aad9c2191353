namespace DapperTenants.Tests.Reliability;

/// <summary>The modes the attack suite runs in, one fixture each.</summary>
public enum AttackMode
{
    /// <summary>The default: policies read the raw setting; the guard on.</summary>
    RawSetting,

    /// <summary>The signed context (<see cref="TenantOptions.SigningKey"/>, policies installed with UseSignedContext); the guard on.</summary>
    SignedContext,

    /// <summary>The signed context with <see cref="TenantGuardMode.Off"/>: the database alone must hold.</summary>
    SignedContextGuardOff,
}
