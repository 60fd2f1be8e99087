// Query parsing and combination, brute-force top-k against a naive full sort, near-duplicate
// grouping and the progress line of the search app.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "cliprt/error.h"
#include "search/dupes.h"
#include "search/progress.h"
#include "search/query.h"
#include "search/vector_search.h"
#include "search_test_support.h"

namespace cliprt::search {
namespace {

TEST(SearchQuery, ParsesWeightsLikeRclip) {
    struct Case {
        const char* arg;
        float weight;
        const char* text;
    };
    for (const Case& c :
         {Case{"2:beach", 2.0f, "beach"}, Case{"sunset", 1.0f, "sunset"}, Case{"0.5:a red car", 0.5f, "a red car"},
          Case{"-1:people", -1.0f, "people"}, Case{"+1.5: dog", 1.5f, "dog"}, Case{".25:cat", 0.25f, "cat"},
          Case{"http://x.org", 1.0f, "http://x.org"}, Case{":colon first", 1.0f, ":colon first"},
          Case{"a:b", 1.0f, "a:b"}, Case{"10:30 meeting", 10.0f, "30 meeting"}}) {
        const QueryTerm t = parse_weighted(c.arg);
        EXPECT_EQ(t.weight, c.weight) << c.arg;
        EXPECT_EQ(t.value, c.text) << c.arg;
        EXPECT_EQ(t.kind, QueryTerm::Kind::Text);
    }
    EXPECT_THROW(parse_weighted("2:"), Error);
    EXPECT_THROW(parse_weighted("3:   "), Error);
    EXPECT_THROW(parse_weighted(""), Error);
    // Found by fuzz_query: a weight beyond float's range threw std::out_of_range out of std::stof.
    EXPECT_THROW(parse_weighted(std::string(44, '1') + "2:x"), Error);
    EXPECT_THROW(parse_weighted("-" + std::string(400, '9') + ".5:x"), Error);
    // A long argument is scanned without std::regex (which recursed per character).
    EXPECT_EQ(parse_weighted(std::string(200000, 'a')).value, std::string(200000, 'a'));
    EXPECT_EQ(parse_weighted(std::string(200000, '7') + "x").weight, 1.0f);
    EXPECT_EQ(parse_weighted(" .5 :x").weight, 0.5f);
    EXPECT_EQ(parse_weighted("5.:x").weight, 5.0f);
    EXPECT_EQ(parse_weighted(".:x").value, ".:x");
}

TEST(SearchQuery, BuildsTextImageAndNegativeTerms) {
    test::TempDir dir;
    const std::string odd = dir / "2:odd.png";  // an existing file whose name looks weighted
    test::write_file(odd, "x");
    const std::vector<QueryTerm> terms =
        build_query({"2:beach", "sunset"}, {odd, "3:" + dir / "pic.jpg"}, {"people", "0.5:cars"});
    ASSERT_EQ(terms.size(), 6u);
    EXPECT_EQ(terms[0].weight, 2.0f);
    EXPECT_EQ(terms[1].weight, 1.0f);
    EXPECT_EQ(terms[2].kind, QueryTerm::Kind::Image);
    EXPECT_EQ(terms[2].value, odd);
    EXPECT_EQ(terms[2].weight, 1.0f);
    EXPECT_EQ(terms[3].value, dir / "pic.jpg");
    EXPECT_EQ(terms[3].weight, 3.0f);
    EXPECT_EQ(terms[4].weight, -1.0f);
    EXPECT_EQ(terms[4].value, "people");
    EXPECT_EQ(terms[5].weight, -0.5f);
    EXPECT_THROW(build_query({}, {}, {}), Error);
}

TEST(SearchQuery, CombinesNormalizedTermsAndNormalizesTheSum) {
    const std::vector<QueryTerm> terms = {{QueryTerm::Kind::Text, 2.0f, "a"}, {QueryTerm::Kind::Text, -1.0f, "b"}};
    // 2 * (3,4)/5 - (10,0)/10 = (0.2, 1.6), normalized.
    const std::vector<float> q = combine_query(terms, {{3, 4}, {10, 0}});
    const double n = std::sqrt(0.2 * 0.2 + 1.6 * 1.6);
    ASSERT_EQ(q.size(), 2u);
    EXPECT_NEAR(q[0], 0.2 / n, 1e-6);
    EXPECT_NEAR(q[1], 1.6 / n, 1e-6);
    EXPECT_THROW(combine_query({{QueryTerm::Kind::Text, 1, "a"}, {QueryTerm::Kind::Text, -1, "a"}}, {{1, 2}, {2, 4}}),
                 Error);  // "a" --not "a" cancels out
    EXPECT_THROW(combine_query({{QueryTerm::Kind::Text, 1, "z"}}, {{0, 0}}), Error);
}

std::vector<float> random_unit_rows(size_t rows, size_t dim, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal;
    std::vector<float> v(rows * dim);
    for (size_t r = 0; r < rows; ++r) {
        double n = 0;
        for (size_t i = 0; i < dim; ++i) n += std::pow(v[r * dim + i] = normal(gen), 2);
        for (size_t i = 0; i < dim; ++i) v[r * dim + i] = static_cast<float>(v[r * dim + i] / std::sqrt(n));
    }
    return v;
}

// The reference selection: every score from the matrix's own kernel, then a full sort by
// (score desc, row asc). The kernel itself is checked against double precision below.
std::vector<Hit> naive_top_k(const EmbeddingMatrix& m, const float* q, size_t k) {
    std::vector<float> scores(m.rows());
    m.dot_rows(q, 0, m.rows(), scores.data());
    std::vector<Hit> all;
    for (size_t r = 0; r < m.rows(); ++r) all.push_back({r, scores[r]});
    std::sort(all.begin(), all.end(),
              [](const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.row < b.row); });
    all.resize(std::min(k, all.size()));
    return all;
}

TEST(VectorSearch, TopKEqualsANaiveSort) {
    for (MatrixType type : {MatrixType::F32, MatrixType::F16}) {
        for (size_t dim : {size_t{7}, size_t{64}}) {
            const size_t rows = 70000;  // enough for two threads
            const EmbeddingMatrix m = EmbeddingMatrix::from_f32(random_unit_rows(rows, dim, 1), dim, type);
            const std::vector<float> queries = random_unit_rows(3, dim, 2);
            for (size_t qi = 0; qi < 3; ++qi) {
                const float* q = queries.data() + qi * dim;
                const std::vector<Hit> ranked = naive_top_k(m, q, 1000);
                for (size_t k : {size_t{1}, size_t{10}, size_t{1000}}) {
                    const std::vector<Hit> want(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k));
                    for (unsigned threads : {1u, 2u}) {
                        const std::vector<Hit> got = top_k(m, q, k, threads);
                        ASSERT_EQ(got.size(), want.size());
                        for (size_t i = 0; i < k; ++i) {
                            ASSERT_EQ(got[i].row, want[i].row) << "k " << k << " rank " << i << " dim " << dim;
                            ASSERT_EQ(got[i].score, want[i].score)
                                << "k " << k << " rank " << i << " dim " << dim << " f16 " << (type == MatrixType::F16)
                                << " threads " << threads;
                        }
                    }
                }
                // The kernel's scores are the cosines of the stored rows (f16 rows as rounded) with
                // the query, to f32 accuracy.
                std::vector<float> scores(rows);
                m.dot_rows(q, 0, rows, scores.data());
                double worst = 0;
                for (size_t r = 0; r < rows; r += 7) {
                    const std::vector<float> row = m.row(r);
                    double exact = 0;
                    for (size_t i = 0; i < dim; ++i) exact += static_cast<double>(row[i]) * q[i];
                    worst = std::max(worst, std::abs(exact - scores[r]));
                }
                EXPECT_LT(worst, 1e-6);
            }
        }
    }
}

TEST(VectorSearch, SmallAndEdgeCases) {
    const EmbeddingMatrix m = EmbeddingMatrix::from_f32({1, 0, 0, 1, 0.6f, 0.8f, 1, 0}, 2, MatrixType::F32);
    const float q[2] = {1, 0};
    const std::vector<Hit> hits = top_k(m, q, 10);
    ASSERT_EQ(hits.size(), 4u);  // k larger than the rows
    EXPECT_EQ(hits[0].row, 0u);  // a tie goes to the lower row
    EXPECT_EQ(hits[1].row, 3u);
    EXPECT_EQ(hits[2].row, 2u);
    EXPECT_EQ(hits[3].row, 1u);
    EXPECT_TRUE(top_k(EmbeddingMatrix(2, MatrixType::F16), q, 5).empty());
    EXPECT_THROW(EmbeddingMatrix::from_f32({1, 2, 3}, 2, MatrixType::F32), Error);
}

TEST(Dupes, GroupsLinkedPairsTransitively) {
    // Unit vectors at 0, 15 and 30 degrees: neighbours have cosine 0.9659, the ends 0.8660, so at a
    // threshold of 0.95 the three form one group only through the middle one.
    const double d = std::acos(-1.0) / 12;
    const float c1 = static_cast<float>(std::cos(d)), s1 = static_cast<float>(std::sin(d));
    const float c2 = static_cast<float>(std::cos(2 * d)), s2 = static_cast<float>(std::sin(2 * d));
    std::vector<float> padded = {1,  0, 0, c1, s1, 0, c2, s2, 0, 0, 1, 0,  // alone
                                 -1, 0, 0, -1, 0,  0};                     // an exact pair
    for (int i = 0; i < 594; ++i) padded.insert(padded.end(), {0, 0, 1});  // one big group; work for 2 threads
    const EmbeddingMatrix m = EmbeddingMatrix::from_f32(padded, 3, MatrixType::F32);
    for (unsigned threads : {1u, 2u}) {
        const std::vector<DuplicateGroup> groups = find_duplicates(m, 0.95f, threads);
        ASSERT_EQ(groups.size(), 3u);
        EXPECT_EQ(groups[0].rows.size(), 594u);  // largest first
        EXPECT_EQ(groups[0].rows.front(), 6u);
        EXPECT_EQ(groups[1].rows, (std::vector<size_t>{0, 1, 2}));
        EXPECT_NEAR(groups[1].min_link, std::cos(d), 1e-6);
        EXPECT_EQ(groups[1].links, 2u);
        EXPECT_EQ(groups[2].rows, (std::vector<size_t>{4, 5}));
        EXPECT_NEAR(groups[2].max_link, 1.0, 1e-6);
    }
    EXPECT_EQ(find_duplicates(m, 0.99f, 1).size(), 2u);  // the chain falls apart
}

TEST(Progress, FormatsCountRateAndEta) {
    EXPECT_EQ(format_duration(3725), "1:02:05");
    EXPECT_EQ(format_duration(59.6), "1:00");
    EXPECT_EQ(format_duration(-1), "?");
    EXPECT_EQ(format_progress(120, 500, 5.0), "120/500 24.0 img/s ETA 0:16");
    EXPECT_EQ(format_progress(0, 500, 1.0), "0/500");
    EXPECT_EQ(format_progress(500, 500, 10.0), "500/500 50.0 img/s");
    std::ostringstream out;
    ProgressReporter plain(out, false, 1000.0);
    plain.update(0, 10);
    plain.update(5, 10);  // within the interval: no line
    plain.update(10, 10);
    plain.finish();
    const std::string lines = out.str();
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2) << lines;
}

}  // namespace
}  // namespace cliprt::search
