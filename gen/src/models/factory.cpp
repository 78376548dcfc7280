/// @brief Picks the model class of an activity's kind.
#include "kinds.hpp"

namespace flowlab::gen::models {
namespace {

struct Make {
    const Context& ctx;
    std::unique_ptr<Model> operator()(const InteractiveSpec&) const { return std::make_unique<InteractiveModel>(ctx); }
    std::unique_ptr<Model> operator()(const WebSpec&) const { return std::make_unique<WebModel>(ctx); }
    std::unique_ptr<Model> operator()(const DnsSpec&) const { return std::make_unique<DnsModel>(ctx); }
    std::unique_ptr<Model> operator()(const BulkSpec& x) const {
        if (x.schedule) return std::make_unique<BulkScheduleModel>(ctx);
        return std::make_unique<BulkPoissonModel>(ctx);
    }
    std::unique_ptr<Model> operator()(const BurstSpec&) const { return std::make_unique<BurstModel>(ctx); }
    std::unique_ptr<Model> operator()(const ScanSpec&) const { return std::make_unique<ScanModel>(ctx); }
    std::unique_ptr<Model> operator()(const DdosSpec&) const { return std::make_unique<DdosModel>(ctx); }
    std::unique_ptr<Model> operator()(const WormSpec&) const { return std::make_unique<WormModel>(ctx); }
};

}  // namespace

std::unique_ptr<Model> make_model(const Context& ctx) { return std::visit(Make{ctx}, ctx.activity->spec); }

}  // namespace flowlab::gen::models
