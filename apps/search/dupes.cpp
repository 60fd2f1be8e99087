#include "search/dupes.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <thread>

namespace cliprt::search {

namespace {

struct Link {
    size_t a, b;
    float score;
};

class UnionFind {
public:
    explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), size_t{0}); }
    size_t find(size_t x) {
        while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
        return x;
    }
    void unite(size_t a, size_t b) {
        a = find(a), b = find(b);
        if (a != b) parent_[std::max(a, b)] = std::min(a, b);
    }

private:
    std::vector<size_t> parent_;
};

}  // namespace

std::vector<DuplicateGroup> find_duplicates(const EmbeddingMatrix& matrix, float threshold, unsigned threads) {
    const size_t n = matrix.rows();
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, n / 256)));
    // Row i is compared with rows i+1..n-1; rows are dealt round-robin so the triangle splits evenly.
    std::vector<std::vector<Link>> links(threads);
    auto work = [&](unsigned t) {
        std::vector<float> scores(n);
        for (size_t i = t; i < n; i += threads) {
            const std::vector<float> q = matrix.row(i);
            matrix.dot_rows(q.data(), i + 1, n, scores.data());
            for (size_t j = i + 1; j < n; ++j) {
                if (scores[j - i - 1] >= threshold) links[t].push_back({i, j, scores[j - i - 1]});
            }
        }
    };
    if (threads == 1) {
        work(0);
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);
        for (std::thread& th : pool) th.join();
    }
    UnionFind uf(n);
    for (const auto& part : links)
        for (const Link& l : part) uf.unite(l.a, l.b);
    std::map<size_t, DuplicateGroup> by_root;
    for (size_t i = 0; i < n; ++i) by_root[uf.find(i)].rows.push_back(i);
    for (const auto& part : links) {
        for (const Link& l : part) {
            DuplicateGroup& g = by_root[uf.find(l.a)];
            if (g.links++ == 0) g.min_link = g.max_link = l.score;
            g.min_link = std::min(g.min_link, l.score);
            g.max_link = std::max(g.max_link, l.score);
        }
    }
    std::vector<DuplicateGroup> groups;
    for (auto& [root, g] : by_root) {
        if (g.rows.size() > 1) groups.push_back(std::move(g));
    }
    std::stable_sort(groups.begin(), groups.end(),
                     [](const DuplicateGroup& a, const DuplicateGroup& b) { return a.rows.size() > b.rows.size(); });
    return groups;
}

}  // namespace cliprt::search
