namespace Store.Perf;

/// <summary>
/// Zipf(θ) ranks over [0, n) by the Gray et al. "quickly generating billion-record synthetic
/// databases" method (the one YCSB uses), scrambled so hot keys are spread over the key space.
/// </summary>
internal sealed class ZipfGenerator
{
    private readonly long _n;
    private readonly double _theta;
    private readonly double _alpha;
    private readonly double _zetan;
    private readonly double _eta;
    private readonly Random _random;

    public ZipfGenerator(long n, double theta, Random random)
    {
        _n = n;
        _theta = theta;
        _random = random;
        _zetan = Zeta(n, theta);
        _alpha = 1.0 / (1.0 - theta);
        _eta = (1 - Math.Pow(2.0 / n, 1 - theta)) / (1 - (Zeta(2, theta) / _zetan));
    }

    public long Next()
    {
        double u = _random.NextDouble();
        double uz = u * _zetan;
        long rank = uz < 1.0 ? 0 : uz < 1.0 + Math.Pow(0.5, _theta) ? 1 : (long)(_n * Math.Pow((_eta * u) - _eta + 1, _alpha));
        rank = Math.Min(rank, _n - 1);
        // 2654435761 is prime and larger than n, so multiplying by it mod n is a bijection.
        return (long)((ulong)rank * 2654435761UL % (ulong)_n);
    }

    private static double Zeta(long n, double theta)
    {
        double sum = 0;
        for (long i = 1; i <= n; i++)
        {
            sum += 1.0 / Math.Pow(i, theta);
        }

        return sum;
    }
}
