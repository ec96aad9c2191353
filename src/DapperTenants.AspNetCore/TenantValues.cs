namespace DapperTenants.AspNetCore;

/// <summary>
/// The rules <see cref="TenantDataSource.Open"/> applies to a tenant value, checked before the request runs so that
/// a value the data source would refuse is answered with 400 instead of failing inside the endpoint.
/// </summary>
/// <remarks>
/// The core exposes no validation method, so the rules are repeated here; a test compares both on the same values.
/// </remarks>
internal static class TenantValues
{
    /// <summary>Why the data source would refuse <paramref name="tenant"/>, or <see langword="null"/> when it accepts it.</summary>
    public static string? Problem(string tenant, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(tenant))
        {
            return "The tenant value is empty or whitespace.";
        }

        if (tenant.Length > maxLength)
        {
            return $"The tenant value is {tenant.Length} characters long; the limit is {maxLength}.";
        }

        for (var i = 0; i < tenant.Length; i++)
        {
            var c = tenant[i];
            if (c == '\0')
            {
                return "The tenant value contains a NUL character.";
            }

            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < tenant.Length && char.IsLowSurrogate(tenant[i + 1]))
                {
                    i++;
                    continue;
                }

                return "The tenant value contains an unpaired UTF-16 surrogate.";
            }
        }

        return null;
    }
}
